"""The roles of zhili's users."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OPERATOR = "operator", _("坐席受理员")
    DISPATCHER = "dispatcher", _("指挥中心派单员")
    HANDLER = "handler", _("部门承办人")
    GRID_WORKER = "grid_worker", _("网格员")
    LEADER = "leader", _("领导")
    PLANNER = "planner", _("规划科")
    ANALYST = "analyst", _("经发局分析员")
    PROJECT_OFFICE = "project_office", _("发改局项目办")
    ADMIN = "admin", _("系统管理员")
    CITIZEN = "citizen", _("市民")
