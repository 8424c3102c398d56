"""Models of the indicators app: plans, indicator groups, indicators, observations and drafts.

Observations are never overwritten: a correction is a new row with the next ``revision`` number,
so the history of every value (who entered it, when, from which source) is kept. The current
value of (indicator, year, quarter) is the row with the highest revision.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IndicatorKind(models.TextChoices):
    LEVEL = "level", _("水平值")
    GROWTH = "growth", _("年均增速")
    CUMULATIVE = "cumulative", _("规划期累计")
    SHARE = "share", _("比重/比率")
    BOUND = "bound", _("逐年约束（上限/下限）")
    QUALITATIVE = "qualitative", _("定性（完成任务）")


class Attribute(models.TextChoices):
    ANTICIPATORY = "anticipatory", _("预期性")
    BINDING = "binding", _("约束性")


class Direction(models.TextChoices):
    HIGHER = "higher", _("越高越好")
    LOWER = "lower", _("越低越好")


class GrowthInput(models.TextChoices):
    """How the observations of a growth indicator are entered."""

    LEVEL = "level", _("填报水平值（如亿元），由系统计算增速")
    RATE = "rate", _("填报当年增速（%）")


class Plan(models.Model):
    code = models.SlugField(_("规划代码"), max_length=60, unique=True)
    name = models.CharField(_("规划名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=80, blank=True)
    base_year = models.PositiveSmallIntegerField(_("基期年"))
    target_year = models.PositiveSmallIntegerField(_("目标年"))
    scope_area = models.ForeignKey(
        "geo.Area", verbose_name=_("适用区域"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="plans",
    )
    source = models.TextField(_("来源说明"), blank=True)
    ahead_ratio = models.FloatField(_("超序时阈值（进度/序时）"), default=1.10)
    lag_ratio = models.FloatField(_("严重滞后阈值（进度/序时）"), default=0.70)
    # Each year's figures are due by this month/day of the following year (e.g. 3-31).
    data_deadline_month = models.PositiveSmallIntegerField(_("年度数据报送截止月"), default=3)
    data_deadline_day = models.PositiveSmallIntegerField(_("年度数据报送截止日"), default=31)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("规划")
        verbose_name_plural = _("规划")
        ordering = ["-target_year", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_year__gt=models.F("base_year")), name="indicators_plan_target_after_base",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def years(self) -> list[int]:
        """The plan's evaluation years (base year excluded)."""
        return list(range(self.base_year + 1, self.target_year + 1))


class IndicatorGroup(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("分组名称"), max_length=80)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("指标分组")
        verbose_name_plural = _("指标分组")
        ordering = ["plan", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "name"], name="indicators_unique_group_name")]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    group = models.ForeignKey(IndicatorGroup, on_delete=models.PROTECT, related_name="indicators")
    code = models.CharField(_("指标编号"), max_length=40)
    number = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("指标名称"), max_length=120)
    unit = models.CharField(_("单位"), max_length=30, blank=True)
    observation_unit = models.CharField(_("观测值单位"), max_length=30, blank=True)
    attribute = models.CharField(_("属性"), max_length=16, choices=Attribute.choices, default=Attribute.ANTICIPATORY)
    kind = models.CharField(_("类型"), max_length=16, choices=IndicatorKind.choices, default=IndicatorKind.LEVEL)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    growth_input = models.CharField(_("增速填报方式"), max_length=8, choices=GrowthInput.choices, blank=True)
    baseline_value = models.FloatField(_("基期值"), null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("基期年份"), null=True, blank=True)
    baseline_quote = models.TextField(_("基期值出处"), blank=True)
    target_value = models.FloatField(_("目标值"), null=True, blank=True)
    target_text = models.CharField(_("目标表述"), max_length=200, blank=True)
    source_department = models.CharField(_("责任/数据来源部门"), max_length=80, blank=True)
    platform_metric = models.CharField(_("平台数据指标"), max_length=60, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["plan", "number", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="indicators_unique_indicator_code")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_binding(self) -> bool:
        return self.attribute == Attribute.BINDING

    @property
    def value_unit(self) -> str:
        """The unit observations are entered in."""
        return self.observation_unit or self.unit


class QualitativeStatus(models.TextChoices):
    COMPLETED = "completed", _("已完成")
    ON_TRACK = "on_track", _("符合序时")
    LAGGING = "lagging", _("滞后")
    SEVERELY_LAGGING = "severely_lagging", _("严重滞后")


class Observation(models.Model):
    """One revision of the value of an indicator in a year (quarter 0 = the whole year)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="observations")
    year = models.PositiveSmallIntegerField(_("年份"))
    quarter = models.PositiveSmallIntegerField(_("季度"), default=0)
    revision = models.PositiveIntegerField(_("修订版本"), default=1)
    value = models.FloatField(_("数值"), null=True, blank=True)
    qualitative_status = models.CharField(
        _("定性状态"), max_length=20, choices=QualitativeStatus.choices, blank=True,
    )
    evidence = models.TextField(_("佐证材料说明"), blank=True)
    source = models.CharField(_("数据来源"), max_length=120, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("填报人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="indicator_observations",
    )
    entered_at = models.DateTimeField(_("填报时间"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("观测值")
        verbose_name_plural = _("观测值")
        ordering = ["indicator", "year", "quarter", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "quarter", "revision"], name="indicators_unique_observation_revision",
            ),
            models.CheckConstraint(condition=models.Q(quarter__lte=4), name="indicators_observation_quarter_range"),
        ]
        indexes = [models.Index(fields=["indicator", "year", "quarter"], name="indicators_obs_lookup")]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.year}Q{self.quarter} r{self.revision}"


class DraftStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    ACCEPTED = "accepted", _("已采纳")
    REJECTED = "rejected", _("已驳回")


class IndicatorDraft(models.Model):
    """An indicator proposed by target extraction from a plan document, waiting for the planner's review."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="drafts")
    quote = models.TextField(_("原文"))
    name = models.CharField(_("指标名称"), max_length=120)
    unit = models.CharField(_("单位"), max_length=30, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=IndicatorKind.choices, default=IndicatorKind.LEVEL)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    target_value = models.FloatField(_("目标值"), null=True, blank=True)
    target_text = models.CharField(_("目标表述"), max_length=200, blank=True)
    group_name = models.CharField(_("建议分组"), max_length=80, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=DraftStatus.choices, default=DraftStatus.PENDING)
    indicator = models.ForeignKey(
        Indicator, null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("指标草稿")
        verbose_name_plural = _("指标草稿")
        ordering = ["plan", "pk"]

    def __str__(self) -> str:
        return self.name


class TargetRevision(models.Model):
    """A decided change of an indicator's target (e.g. the mid-term adjustment), kept with history.

    The revision applies to evaluations of ``effective_from_year`` and later; earlier years keep the
    target in force then. A revision is never edited: a new decision is a new revision.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="target_revisions")
    revision = models.PositiveIntegerField(_("调整次序"))
    previous_value = models.FloatField(_("调整前目标值"), null=True, blank=True)
    target_value = models.FloatField(_("调整后目标值"), null=True, blank=True)
    target_text = models.CharField(_("调整后目标表述"), max_length=200, blank=True)
    effective_from_year = models.PositiveSmallIntegerField(_("起始适用年份"))
    decision_reference = models.CharField(_("决定文号"), max_length=200)
    reason = models.TextField(_("调整理由"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="indicator_target_revisions",
    )
    decided_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("目标调整")
        verbose_name_plural = _("目标调整")
        ordering = ["indicator", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "revision"], name="indicators_unique_target_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} r{self.revision} → {self.target_value}"


class ReportStage(models.TextChoices):
    MIDTERM = "midterm", _("中期评估")
    FINAL = "final", _("末期评估")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿（可编辑）")
    ISSUED = "issued", _("已印发")


class EvaluationReport(models.Model):
    """One version of a plan's mid-term or final evaluation report: the generated narrative as the
    planner edited it. An issued version is never changed; editing it creates the next version."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reports")
    stage = models.CharField(_("评估阶段"), max_length=10, choices=ReportStage.choices)
    year = models.PositiveSmallIntegerField(_("评估年份"))
    version = models.PositiveIntegerField(_("版本"))
    status = models.CharField(_("状态"), max_length=8, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    sections = models.JSONField(_("报告正文"), default=list)  # [{"key", "title", "paragraphs": [...]}]
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="later_versions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("创建时间"))
    edited_at = models.DateTimeField(_("修改时间"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    issued_at = models.DateTimeField(_("印发时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评估报告")
        verbose_name_plural = _("评估报告")
        ordering = ["plan", "stage", "year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "stage", "year", "version"], name="indicators_unique_report_version"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.stage} {self.year} v{self.version}"

    @property
    def is_issued(self) -> bool:
        return self.status == ReportStatus.ISSUED
