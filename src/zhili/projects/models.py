"""Projects (项目库), their lifecycle nodes, yearly plans, monthly reports, the 入库 list and problems."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    DISTRICT = "district", _("区级")
    STREET = "street", _("街道级")


class ProjectKind(models.TextChoices):
    MAJOR = "major", _("重大项目")
    KEY = "key", _("重点项目")
    ATTRACTION = "attraction", _("招引项目")
    LIVELIHOOD = "livelihood", _("民生实事")


class StatisticsState(models.TextChoices):
    NOT_ENTERED = "not_entered", _("未入库")
    ENTERED = "entered", _("已入库")
    COUNTED = "counted", _("已纳统")


class Light(models.TextChoices):
    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")


class ProblemKind(models.TextChoices):
    LAND = "land", _("用地")
    POWER = "power", _("用电")
    APPROVAL = "approval", _("审批")
    DEMOLITION = "demolition", _("拆迁")
    FINANCING = "financing", _("融资")
    OTHER = "other", _("其他")


class LifecycleChain(models.Model):
    """A configurable chain of lifecycle nodes, e.g. the 四证 or the 五证 approval chain."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    # [[node code, node name], …] in order; the rules (rules.chain_nodes_parse) check it
    nodes = models.JSONField(_("节点"))

    class Meta:
        verbose_name = _("生命周期节点链")
        verbose_name_plural = _("生命周期节点链")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class LightRuleSet(models.Model):
    """The thresholds of the lights (亮灯规则); the active one is used, the defaults when there is none."""

    name = models.CharField(_("名称"), max_length=60)
    thresholds = models.JSONField(_("阈值"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("亮灯规则")
        verbose_name_plural = _("亮灯规则")

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    """A project of the library: key/major, investment attraction or livelihood (民生实事)."""

    code = models.CharField(_("项目编码"), max_length=40, unique=True)
    name = models.CharField(_("项目名称"), max_length=200)
    level = models.CharField(_("项目级别"), max_length=12, choices=ProjectLevel.choices, db_index=True)
    kind = models.CharField(_("项目类别"), max_length=12, choices=ProjectKind.choices, db_index=True)
    industry = models.CharField(_("所属行业"), max_length=60, blank=True)
    is_industrial = models.BooleanField(_("工业项目"), default=False)
    owner_credit_code = models.CharField(_("业主单位统一社会信用代码"), max_length=18, blank=True, db_index=True)
    owner_name = models.CharField(_("业主单位"), max_length=200, blank=True)
    longitude = models.FloatField(_("经度(WGS-84)"), null=True, blank=True)
    latitude = models.FloatField(_("纬度(WGS-84)"), null=True, blank=True)
    grid = models.ForeignKey("geo.Area", verbose_name=_("所在网格"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="grid_projects")
    area_path = models.CharField(_("区域路径"), max_length=400, blank=True, db_index=True)
    total_investment = models.DecimalField(_("总投资(万元)"), max_digits=14, decimal_places=2)
    signed_amount = models.DecimalField(_("签约金额(万元)"), max_digits=14, decimal_places=2, null=True, blank=True)
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("挂钩领导"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="linked_projects")
    department = models.ForeignKey("geo.Department", verbose_name=_("责任单位"), on_delete=models.PROTECT,
                                   related_name="projects")
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone_encrypted = models.TextField(_("联系电话(加密)"), blank=True)
    contact_phone_masked = models.CharField(_("联系电话(脱敏)"), max_length=20, blank=True)
    planned_start = models.DateField(_("计划开工"), null=True, blank=True)
    planned_finish = models.DateField(_("计划竣工"), null=True, blank=True)
    actual_start = models.DateField(_("实际开工"), null=True, blank=True)
    actual_finish = models.DateField(_("实际竣工"), null=True, blank=True)
    statistics_state = models.CharField(_("入库纳统状态"), max_length=12, choices=StatisticsState.choices,
                                        default=StatisticsState.NOT_ENTERED)
    statistics_date = models.DateField(_("入库日期"), null=True, blank=True)
    chain = models.ForeignKey(LifecycleChain, verbose_name=_("节点链"), on_delete=models.PROTECT)
    stage = models.CharField(_("当前阶段"), max_length=32, blank=True, db_index=True)
    # 民生实事: what was promised, shown on the public page (no personal data)
    public_promise = models.TextField(_("承诺内容"), blank=True)
    public_year = models.PositiveSmallIntegerField(_("实事年度"), null=True, blank=True)
    light = models.CharField(_("亮灯"), max_length=8, choices=Light.choices, default=Light.GREEN, db_index=True)
    light_reasons = models.JSONField(_("亮灯原因"), default=list)
    light_month = models.CharField(_("亮灯月份"), max_length=7, blank=True)
    is_synthetic = models.BooleanField(_("合成演示数据"), default=False)
    created_at = models.DateTimeField(_("入库时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目库")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProjectNode(models.Model):
    """One node of a project's lifecycle, with planned and actual dates and its evidence."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="nodes")
    sequence = models.PositiveSmallIntegerField(_("顺序"))
    code = models.CharField(_("节点代码"), max_length=32)
    name = models.CharField(_("节点名称"), max_length=40)
    planned_date = models.DateField(_("计划日期"), null=True, blank=True)
    actual_date = models.DateField(_("实际日期"), null=True, blank=True)
    evidence = models.CharField(_("佐证材料"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("项目节点")
        verbose_name_plural = _("项目节点")
        ordering = ["project", "sequence"]
        constraints = [models.UniqueConstraint(fields=["project", "code"], name="projects_unique_node")]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.name}"


class YearPlan(models.Model):
    """A project's planned investment for one year; a revision records the month it applies from."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="year_plans")
    year = models.PositiveSmallIntegerField(_("年度"))
    original_amount = models.DecimalField(_("年初计划投资(万元)"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("年度计划投资(万元)"), max_digits=14, decimal_places=2)
    # [[month the revised plan applies from, amount], …] in order
    revisions = models.JSONField(_("计划调整"), default=list)

    class Meta:
        verbose_name = _("年度计划")
        verbose_name_plural = _("年度计划")
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="projects_unique_year_plan")]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.year}"


class MonthlyReport(models.Model):
    """What a project's unit reports for one month (月报)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    investment = models.DecimalField(_("当月完成投资(万元)"), max_digits=14, decimal_places=2)
    progress_percent = models.PositiveSmallIntegerField(_("形象进度(%)"), default=0)
    progress_text = models.TextField(_("形象进度"), blank=True)
    problems_text = models.TextField(_("存在问题"), blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("填报人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reported_at = models.DateTimeField(_("填报时间"))

    class Meta:
        verbose_name = _("月报")
        verbose_name_plural = _("月报")
        ordering = ["project", "year", "month"]
        constraints = [models.UniqueConstraint(fields=["project", "year", "month"], name="projects_unique_report")]
        indexes = [models.Index(fields=["year", "month"], name="projects_report_month")]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.year}-{self.month:02d}"


class StatisticsFigure(models.Model):
    """One line of the statistics bureau's 入库 list: a project's year-to-date investment as counted."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="statistics_figures")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    investment_to_date = models.DecimalField(_("统计局累计投资(万元)"), max_digits=14, decimal_places=2)
    entered_on = models.DateField(_("入库日期"), null=True, blank=True)
    imported_at = models.DateTimeField(_("导入时间"))

    class Meta:
        verbose_name = _("入库统计数")
        verbose_name_plural = _("入库统计数")
        constraints = [models.UniqueConstraint(fields=["project", "year", "month"],
                                               name="projects_unique_statistics_figure")]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.year}-{self.month:02d}"


class ProjectProblem(models.Model):
    """A problem of a project (问题清单), handled as a case of the case engine."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="problems")
    kind = models.CharField(_("问题类型"), max_length=12, choices=ProblemKind.choices)
    description = models.TextField(_("问题描述"))
    case = models.OneToOneField("cases.Case", verbose_name=_("工单"), on_delete=models.PROTECT,
                                related_name="project_problem")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提出人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    raised_at = models.DateTimeField(_("提出时间"))

    class Meta:
        verbose_name = _("项目问题")
        verbose_name_plural = _("问题清单")
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.get_kind_display()}"
