"""Enterprises, their yearly data with its source, evaluation schemes, runs and results."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EnterpriseScale(models.TextChoices):
    ABOVE = "above", _("规上")
    BELOW = "below", _("规下")


class EnterpriseStatus(models.TextChoices):
    OPERATING = "operating", _("在营")
    SUSPENDED = "suspended", _("停产")
    CLOSED = "closed", _("关停/注销")


class Enterprise(models.Model):
    """An industrial enterprise of the registry (企业名录), keyed by its 统一社会信用代码."""

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("企业名称"), max_length=200)
    industry_code = models.CharField(_("行业代码(GB/T 4754-2017)"), max_length=8, db_index=True)
    scale = models.CharField(_("规模"), max_length=8, choices=EnterpriseScale.choices, default=EnterpriseScale.ABOVE)
    land_area_mu = models.FloatField(_("用地面积(亩)"), null=True, blank=True)
    longitude = models.FloatField(_("经度(WGS-84)"), null=True, blank=True)
    latitude = models.FloatField(_("纬度(WGS-84)"), null=True, blank=True)
    grid = models.ForeignKey("geo.Area", verbose_name=_("所在网格"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="grid_enterprises")
    zone = models.ForeignKey("geo.Area", verbose_name=_("所在开发区/园区"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="zone_enterprises")
    # The grid's materialised path (or the zone's), for scope checks and street grouping.
    area_path = models.CharField(_("区域路径"), max_length=400, blank=True, db_index=True)
    production_start_year = models.PositiveSmallIntegerField(_("投产年份"), null=True, blank=True)
    is_public_utility = models.BooleanField(_("公用事业(水电气)"), default=False)
    status = models.CharField(_("状态"), max_length=12, choices=EnterpriseStatus.choices,
                              default=EnterpriseStatus.OPERATING, db_index=True)
    is_synthetic = models.BooleanField(_("合成演示数据"), default=False)
    created_at = models.DateTimeField(_("登记时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业名录")
        ordering = ["credit_code"]

    def __str__(self) -> str:
        return f"{self.name}({self.credit_code})"


class EnterpriseParcel(models.Model):
    """A land parcel (宗地) an enterprise uses; the registry land area is their sum when given."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="parcels")
    parcel_code = models.CharField(_("宗地编号"), max_length=40)
    area_mu = models.FloatField(_("面积(亩)"))
    is_leased = models.BooleanField(_("租赁"), default=False)

    class Meta:
        verbose_name = _("宗地")
        verbose_name_plural = _("宗地")
        constraints = [models.UniqueConstraint(fields=["enterprise", "parcel_code"], name="enterprises_unique_parcel")]

    def __str__(self) -> str:
        return f"{self.parcel_code} {self.area_mu}亩"


class SourceKind(models.TextChoices):
    """The department a source file comes from ("税、电、钱、人"); decides conflicts by authority."""

    TAX = "tax", _("税务局")
    STATISTICS = "statistics", _("统计局")
    POWER = "power", _("供电公司")
    ENERGY = "energy", _("发改(能耗)")
    ENVIRONMENT = "environment", _("生态环境局")
    LAND = "land", _("自然资源局")
    SCIENCE = "science", _("科技局")
    EMERGENCY = "emergency", _("应急管理局")
    OTHER = "other", _("其他")


class ImportBatchStatus(models.TextChoices):
    STAGED = "staged", _("待审核")
    ACCEPTED = "accepted", _("已入库")
    DISCARDED = "discarded", _("已放弃")


class ImportBatch(models.Model):
    """One yearly import: several source files staged together; nothing enters until accepted."""

    year = models.PositiveSmallIntegerField(_("数据年度"))
    status = models.CharField(_("状态"), max_length=12, choices=ImportBatchStatus.choices,
                              default=ImportBatchStatus.STAGED)
    report = models.JSONField(_("关联报告"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("暂存时间"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("数据导入批次")
        verbose_name_plural = _("数据导入批次")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return _("%(year)s年导入#%(id)s") % {"year": self.year, "id": self.pk}


class ImportFile(models.Model):
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveSmallIntegerField(_("顺序"))
    file_name = models.CharField(_("文件名"), max_length=200)
    source_kind = models.CharField(_("来源部门"), max_length=16, choices=SourceKind.choices)
    encoding = models.CharField(_("编码"), max_length=20, blank=True)
    sha256 = models.CharField(max_length=64)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    fields = models.JSONField(_("识别的字段"), default=list)

    class Meta:
        verbose_name = _("来源文件")
        verbose_name_plural = _("来源文件")
        ordering = ["batch", "position"]

    def __str__(self) -> str:
        return self.file_name


class StagedRow(models.Model):
    """A row of a source file waiting for the analyst's decision, with what the linkage found."""

    source_file = models.ForeignKey(ImportFile, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(_("行号"))
    credit_code = models.CharField(_("统一社会信用代码"), max_length=40)
    name = models.CharField(_("企业名称"), max_length=200, blank=True)
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    values = models.JSONField(_("数值"), default=dict)
    problems = models.JSONField(_("问题"), default=list)  # [{"code","message"}]; any problem excludes the row
    warnings = models.JSONField(_("提示"), default=list)

    class Meta:
        verbose_name = _("暂存行")
        verbose_name_plural = _("暂存行")
        ordering = ["source_file", "row_number"]

    def __str__(self) -> str:
        return f"{self.source_file_id}:{self.row_number}"


class EnterpriseYearValue(models.Model):
    """One figure of one enterprise for one year, with the file and department it came from."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="year_values")
    year = models.PositiveSmallIntegerField(_("年度"))
    field = models.CharField(_("字段"), max_length=32)
    value = models.FloatField(_("数值"))
    source_kind = models.CharField(_("来源部门"), max_length=16, choices=SourceKind.choices)
    source_file = models.ForeignKey(ImportFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_label = models.CharField(_("来源说明"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("入库时间"))

    class Meta:
        verbose_name = _("企业年度数据")
        verbose_name_plural = _("企业年度数据")
        constraints = [models.UniqueConstraint(fields=["enterprise", "year", "field"],
                                               name="enterprises_unique_year_value")]
        indexes = [models.Index(fields=["year", "field"], name="enterprises_value_year_field")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year} {self.field}={self.value}"


class EvaluationScheme(models.Model):
    """A versioned evaluation scheme (评价办法) for a year and area; its rules are the JSON config."""

    code = models.CharField(_("方案代码"), max_length=60)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("方案名称"), max_length=200)
    year = models.PositiveSmallIntegerField(_("适用年度"))
    area = models.ForeignKey("geo.Area", verbose_name=_("适用区域"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    config = models.JSONField(_("方案配置"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("评价方案")
        verbose_name_plural = _("评价方案")
        ordering = ["-year", "code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="enterprises_unique_scheme_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class RunStatus(models.TextChoices):
    DRAFT = "draft", _("草稿（可重评）")
    PUBLISHED = "published", _("已发布")


class EvaluationRun(models.Model):
    """One evaluation of a year under a scheme. Published runs are immutable (services refuse)."""

    year = models.PositiveSmallIntegerField(_("评价年度"))
    version = models.PositiveIntegerField(_("版次"))
    scheme = models.ForeignKey(EvaluationScheme, on_delete=models.PROTECT, related_name="runs")
    area = models.ForeignKey("geo.Area", verbose_name=_("评价范围"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=RunStatus.choices, default=RunStatus.DRAFT)
    reason = models.CharField(_("评价原因"), max_length=200, blank=True)
    supersedes = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="superseded_by")
    benchmarks = models.JSONField(_("基准值"), default=list)
    summary = models.JSONField(_("汇总"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("评价时间"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    sign_off_note = models.TextField(_("签发意见"), blank=True)
    # 公示期: objections are accepted until then; the results take effect after it (and after every
    # objection is decided). A run superseding an upheld objection takes effect on publication.
    objection_deadline = models.DateTimeField(_("异议截止时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评价批次")
        verbose_name_plural = _("评价批次")
        ordering = ["-year", "-version"]
        constraints = [models.UniqueConstraint(fields=["year", "version"], name="enterprises_unique_run_version")]

    def __str__(self) -> str:
        return _("%(year)s年第%(version)s版") % {"year": self.year, "version": self.version}

    @property
    def is_published(self) -> bool:
        return self.status == RunStatus.PUBLISHED


class EvaluationResult(models.Model):
    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="results")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="results")
    total = models.FloatField(_("综合得分"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("排名"), default=0)
    class_code = models.CharField(_("类别"), max_length=1, db_index=True)
    not_rated_reason = models.CharField(_("不参评原因"), max_length=20, blank=True)
    vetoed = models.BooleanField(_("一票否决"), default=False)
    detail = models.JSONField(_("得分明细与说明"), default=dict)
    previous_class = models.CharField(_("上年类别"), max_length=1, blank=True)

    class Meta:
        verbose_name = _("评价结果")
        verbose_name_plural = _("评价结果")
        ordering = ["run", "rank"]
        constraints = [models.UniqueConstraint(fields=["run", "enterprise"], name="enterprises_unique_result")]
        indexes = [models.Index(fields=["run", "class_code"], name="enterprises_result_class")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.enterprise_id} {self.class_code}"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("异议成立（已重评）")
    REJECTED = "rejected", _("异议不成立")


class ObjectorKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业本身")
    STREET = "street", _("所在街道/园区")


class Objection(models.Model):
    """An objection (异议) to a published result, by the enterprise itself or its street, with evidence."""

    result = models.ForeignKey(EvaluationResult, on_delete=models.PROTECT, related_name="objections")
    objector_kind = models.CharField(_("提出方"), max_length=12, choices=ObjectorKind.choices,
                                     default=ObjectorKind.ENTERPRISE)
    objector_area = models.ForeignKey("geo.Area", verbose_name=_("提出异议的街道"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    claimed_credit_code = models.CharField(_("异议所涉企业信用代码"), max_length=18, blank=True)
    submitted_by_name = models.CharField(_("提出人"), max_length=60)
    content = models.TextField(_("异议内容"))
    evidence = models.TextField(_("佐证材料"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"))
    resolution_note = models.TextField(_("处理意见"), blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolution_run = models.ForeignKey(EvaluationRun, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="resolved_objections")

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"异议#{self.pk}"


class PolicyMeasureKind(models.TextChoices):
    ELECTRICITY_PRICE = "electricity_price", _("差别化电价")
    WATER_PRICE = "water_price", _("差别化水价")
    LAND_SUPPLY = "land_supply", _("限制新增用地")
    CREDIT = "credit", _("信贷从紧")
    RECTIFICATION = "rectification", _("整改提升")
    MERGER = "merger", _("兼并重组")
    EXIT = "exit", _("依法关停退出")
    LOW_EFFICIENCY_LAND = "low_efficiency_land", _("低效用地再开发")


class LandCategory(models.TextChoices):
    """低效用地 categories of the follow-up (再开发) tasks."""

    APPROVED_NOT_SUPPLIED = "approved_not_supplied", _("批而未供")
    SUPPLIED_NOT_USED = "supplied_not_used", _("供而未用")
    USED_NOT_FULLY = "used_not_fully", _("用而未尽")
    BUILT_NOT_OPERATING = "built_not_operating", _("建而未投")
    OPERATING_BELOW_STANDARD = "operating_below_standard", _("投而未达标")


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("已部署")
    IN_PROGRESS = "in_progress", _("推进中")
    DONE = "done", _("已完成")


class PolicyMeasure(models.Model):
    """A differentiated policy action for a (mostly D-class) enterprise, followed up over time."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="policy_measures")
    run = models.ForeignKey(EvaluationRun, on_delete=models.PROTECT, related_name="policy_measures")
    kind = models.CharField(_("措施"), max_length=20, choices=PolicyMeasureKind.choices)
    description = models.TextField(_("说明"), blank=True)
    responsible_department = models.CharField(_("责任单位"), max_length=100, blank=True)
    due_date = models.DateField(_("完成时限"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED)
    land_category = models.CharField(_("低效用地类型"), max_length=30, choices=LandCategory.choices, blank=True)
    case_number = models.CharField(_("跟踪工单号"), max_length=40, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("部署时间"))

    class Meta:
        verbose_name = _("差别化措施")
        verbose_name_plural = _("差别化措施")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}({self.enterprise_id})"


class PolicyFollowUp(models.Model):
    measure = models.ForeignKey(PolicyMeasure, on_delete=models.CASCADE, related_name="follow_ups")
    note = models.TextField(_("跟踪情况"))
    status_after = models.CharField(_("跟踪后状态"), max_length=12, choices=MeasureStatus.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("跟踪记录")
        verbose_name_plural = _("跟踪记录")
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"跟踪#{self.pk}"


class PolicyTable(models.Model):
    """A versioned differentiated-policy table (差别化政策) for a year: prices and measures per class."""

    year = models.PositiveSmallIntegerField(_("适用年度"))
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=200)
    config = models.JSONField(_("政策配置"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("差别化政策表")
        verbose_name_plural = _("差别化政策表")
        ordering = ["-year", "-version"]
        constraints = [models.UniqueConstraint(fields=["year", "version"], name="enterprises_unique_policy_version")]

    def __str__(self) -> str:
        return _("%(year)s年%(name)s v%(version)s") % {"year": self.year, "name": self.name, "version": self.version}


class LandSite(models.Model):
    """A land site (宗地/园区厂房) that several enterprises may share; its area is apportioned."""

    code = models.CharField(_("宗地编号"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    area_mu = models.FloatField(_("宗地面积(亩)"))
    address = models.CharField(_("坐落"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("共用宗地")
        verbose_name_plural = _("共用宗地")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"


class LandSiteShare(models.Model):
    """One enterprise's apportioned land on a site: stated in 亩, or by the floor area it uses."""

    site = models.ForeignKey(LandSite, on_delete=models.CASCADE, related_name="shares")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="site_shares")
    stated_mu = models.FloatField(_("约定分摊面积(亩)"), null=True, blank=True)
    floor_area_m2 = models.FloatField(_("使用建筑面积(平方米)"), null=True, blank=True)
    share_mu = models.FloatField(_("分摊用地(亩)"))

    class Meta:
        verbose_name = _("用地分摊")
        verbose_name_plural = _("用地分摊")
        ordering = ["site", "enterprise"]
        constraints = [models.UniqueConstraint(fields=["site", "enterprise"], name="enterprises_unique_site_share")]

    def __str__(self) -> str:
        return f"{self.site_id}:{self.enterprise_id} {self.share_mu}亩"
