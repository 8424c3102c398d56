"""Cases (工单/案件) and what hangs off them: timeline events, attachments, notifications, API keys.

Fields and constraints only; the workflow lives in ``services/`` and ``states.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhili.cases.states import OPEN_STATUSES, CaseStatus


def private_case_storage() -> Storage:
    """Uploads live outside MEDIA_ROOT and are served only by a permission-checked view."""
    return FileSystemStorage(location=settings.DATA_DIR / "case-files", base_url=None)


class CaseChannel(models.TextChoices):
    HOTLINE = "hotline", _("12345热线")
    CITIZEN_APP = "citizen_app", _("随手拍")
    PATROL = "patrol", _("网格巡查")
    OPEN311 = "open311", _("Open311接口")
    API = "api", _("系统接口")
    IMPORT = "import", _("历史导入")


class LocationSource(models.TextChoices):
    """Where a case's coordinates came from (public output never republishes a photo's own GPS)."""

    GIVEN = "", _("上报人选定")
    PHOTO = "photo", _("照片拍摄位置")
    ADDRESS = "address", _("标准地址")


class SlaState(models.TextChoices):
    NORMAL = "normal", _("正常")
    WARNING = "warning", _("黄灯预警")
    OVERDUE = "overdue", _("红灯超期")


class Priority(models.IntegerChoices):
    NORMAL = 0, _("一般")
    HIGH = 1, _("紧急")
    CRITICAL = 2, _("特急")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY_SATISFIED = "basically_satisfied", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class AppealType(models.TextChoices):
    """诉求类型 (GB/T 39666-2020 and the provincial 12345 rules): each has its own handling limit."""

    CONSULTATION = "consultation", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")
    PRAISE = "praise", _("表扬")


class ExtensionState(models.TextChoices):
    NONE = "", _("无")
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准")
    DENIED = "denied", _("未批准")


_OPEN = Q(status__in=sorted(OPEN_STATUSES))


class Case(models.Model):
    """One citizen matter from any channel, from intake to archive (一案一档)."""

    number = models.CharField(_("工单编号"), max_length=20, unique=True)
    tracking_code = models.CharField(_("查询码"), max_length=16, unique=True)
    channel = models.CharField(_("来源渠道"), max_length=16, choices=CaseChannel.choices)
    status = models.CharField(_("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.RECEIVED)
    title = models.CharField(_("标题"), max_length=120, blank=True)
    description = models.TextField(_("诉求内容"))
    # where
    address_text = models.CharField(_("地址"), max_length=300, blank=True)
    # Foreign keys covered by a composite index below, or never filtered on, carry no index of their own:
    # every index is written on each status change, so the table keeps only the ones queries use.
    address = models.ForeignKey("geo.Address", verbose_name=_("标准地址"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+", db_index=False)
    longitude = models.FloatField(_("经度(WGS-84)"), null=True, blank=True)
    latitude = models.FloatField(_("纬度(WGS-84)"), null=True, blank=True)
    grid = models.ForeignKey("geo.Area", verbose_name=_("网格"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="cases", db_index=False)
    # the grid's materialised path, copied so area-subtree queries need no join
    area_path = models.CharField(_("区域路径"), max_length=400, blank=True)
    location_note = models.CharField(_("定位说明"), max_length=200, blank=True)
    location_source = models.CharField(_("位置来源"), max_length=8, choices=LocationSource.choices, blank=True,
                                       default=LocationSource.GIVEN)
    # what and who
    category = models.ForeignKey("geo.MatterCategory", verbose_name=_("分类"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="cases", db_index=False)
    matter = models.ForeignKey("geo.Matter", verbose_name=_("事项"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="cases", db_index=False)
    department = models.ForeignKey("geo.Department", verbose_name=_("承办部门"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="cases", db_index=False)
    classification_confidence = models.FloatField(_("分类置信度"), default=0.0)
    # 诉求类型: empty when nobody said (the matter's own limits apply)
    appeal_type = models.CharField(_("诉求类型"), max_length=16, choices=AppealType.choices, blank=True, default="")
    priority = models.SmallIntegerField(_("优先级"), choices=Priority.choices, default=Priority.NORMAL)
    is_urgent = models.BooleanField(_("紧急事项(自然小时计时)"), default=False)
    # reporter (personal data: encrypted; the masks and the keyed hash are not secret)
    reporter_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("反映人账号"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="reported_cases", db_index=False)
    reporter_name_encrypted = models.TextField(blank=True)
    reporter_phone_encrypted = models.TextField(blank=True)
    reporter_id_number_encrypted = models.TextField(blank=True)
    reporter_name_masked = models.CharField(_("反映人"), max_length=40, blank=True)
    reporter_phone_masked = models.CharField(_("联系电话"), max_length=24, blank=True)
    reporter_phone_hash = models.CharField(max_length=64, blank=True)
    # 保密: the reporter's identity stays with the centre; the handling unit and the public never see it
    is_confidential = models.BooleanField(_("保密"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("受理人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", db_index=False)
    # duplicates
    master_case = models.ForeignKey("self", verbose_name=_("主工单"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="merged_cases", db_index=False)
    duplicate_candidates = models.JSONField(_("疑似重复"), default=list, blank=True)
    # intake idempotency: "<client>:<Idempotency-Key>" is unique, so a retried request finds its case
    intake_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    intake_request_hash = models.CharField(max_length=64, blank=True)
    external_id = models.CharField(_("外部编号"), max_length=64, blank=True)
    media_url = models.URLField(_("外部媒体链接"), max_length=500, blank=True)
    attributes = models.JSONField(_("附加属性"), default=dict, blank=True)
    # times
    created_at = models.DateTimeField(_("受理时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # deadlines (stored; the stage ones drive the SLA sweep)
    accept_due_at = models.DateTimeField(_("签收时限"), null=True, blank=True)
    handle_due_at = models.DateTimeField(_("办理时限"), null=True, blank=True)
    follow_up_due_at = models.DateTimeField(_("回访时限"), null=True, blank=True)
    stage_due_at = models.DateTimeField(_("当前环节时限"), null=True, blank=True)
    stage_warn_at = models.DateTimeField(_("当前环节预警时间"), null=True, blank=True)
    sla_state = models.CharField(_("时限状态"), max_length=10, choices=SlaState.choices, default=SlaState.NORMAL)
    # outcomes, kept on the row so KPIs are single aggregate queries
    accepted_on_time = models.BooleanField(_("按时签收"), null=True, blank=True)
    finished_on_time = models.BooleanField(_("按期办结"), null=True, blank=True)
    handling_seconds = models.BigIntegerField(_("办理用时(秒)"), null=True, blank=True)
    return_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("延期次数"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    supervision_count = models.PositiveSmallIntegerField(_("督办次数"), default=0)
    # repeat calls about this open case merged into it as 催办 (urging) at intake
    urge_count = models.PositiveSmallIntegerField(_("催办（重复来电）次数"), default=0)
    # the unit whose return (退回) waits for the centre's decision (审定); cleared by the decision
    returned_by_department = models.ForeignKey("geo.Department", verbose_name=_("退回单位"), null=True, blank=True,
                                               on_delete=models.PROTECT, related_name="+", db_index=False)
    # when the unit replied; the case is finished when the centre accepts the reply (审核) or at once
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    extension_state = models.CharField(_("延期申请"), max_length=10, choices=ExtensionState.choices, blank=True,
                                       default=ExtensionState.NONE)
    extension_requested_days = models.PositiveSmallIntegerField(_("申请延期工作日"), null=True, blank=True)
    self_handled = models.BooleanField(_("网格自处置"), default=False)
    reply_text = models.TextField(_("办理结果/答复"), blank=True)
    rating = models.CharField(_("满意度"), max_length=24, choices=Rating.choices, blank=True)
    resolved = models.BooleanField(_("问题已解决"), null=True, blank=True)
    rating_comment = models.TextField(_("评价意见"), blank=True)
    status_note = models.CharField(_("状态说明"), max_length=300, blank=True)
    # what an imported work order's source system called its handling unit and classification, kept as
    # given (also when mapped), so nothing is lost before — or without — a mapping to the district's own
    source_handling_unit = models.CharField(_("来源办理单位"), max_length=200, blank=True)
    source_classification = models.CharField(_("来源分类"), max_length=300, blank=True)
    is_synthetic = models.BooleanField(_("合成演示数据"), default=False)

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="cases_status_created"),
            models.Index(fields=["department", "status", "created_at"], name="cases_department_status"),
            models.Index(fields=["created_at"], name="cases_created"),
            models.Index(fields=["category", "created_at"], name="cases_category_created"),
            models.Index(fields=["grid", "created_at"], name="cases_grid_created"),
            models.Index(fields=["area_path", "created_at"], name="cases_area_path_created"),
            models.Index(fields=["reporter_phone_hash"], name="cases_reporter_phone_hash",
                         condition=~Q(reporter_phone_hash="")),
            models.Index(fields=["reporter_user"], name="cases_reporter_user", condition=Q(reporter_user__isnull=False)),
            models.Index(fields=["master_case"], name="cases_master_case", condition=Q(master_case__isnull=False)),
            # The SLA sweep scans these by time since its last run. ``sla_state`` is deliberately in no
            # index (nor index condition), so the sweep's UPDATE is a heap-only (HOT) update on PostgreSQL.
            models.Index(fields=["stage_warn_at"], name="cases_sla_warn", condition=Q(stage_warn_at__isnull=False)),
            models.Index(fields=["stage_due_at"], name="cases_sla_due", condition=Q(stage_due_at__isnull=False)),
            # the duplicate check: open cases in a small box around the new point
            models.Index(fields=["longitude", "latitude"], name="cases_open_point",
                         condition=_OPEN & Q(longitude__isnull=False)),
            # history imports: a re-import finds its work orders by number; a mapping made later finds
            # the cases it applies to (only imported rows carry these, so the indexes stay small)
            models.Index(fields=["external_id"], name="cases_imported_external_id",
                         condition=Q(channel="import") & ~Q(external_id="")),
            models.Index(fields=["source_handling_unit"], name="cases_source_handling_unit",
                         condition=~Q(source_handling_unit="")),
            models.Index(fields=["source_classification"], name="cases_source_classification",
                         condition=~Q(source_classification="")),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class WorkflowSettings(models.Model):
    """One row: the dispatch and handling rules a centre sets without code (admin: 工单办理规则).

    Defaults follow the norms cited in docs/cases.md ("Appeal types, dispatch limits, returns, review").
    Read through ``services.workflow_settings.workflow_rules_current`` (cached per process).
    """

    consultation_handle_days = models.PositiveSmallIntegerField(_("咨询办理时限(工作日)"), default=2)
    help_handle_days = models.PositiveSmallIntegerField(_("求助办理时限(工作日)"), default=10)
    complaint_handle_days = models.PositiveSmallIntegerField(_("投诉办理时限(工作日)"), default=15)
    report_handle_days = models.PositiveSmallIntegerField(_("举报办理时限(工作日)"), default=15)
    suggestion_handle_days = models.PositiveSmallIntegerField(_("建议办理时限(工作日)"), default=10)
    praise_handle_days = models.PositiveSmallIntegerField(_("表扬办理时限(工作日)"), default=5)
    dispatch_emergency_hours = models.PositiveSmallIntegerField(_("紧急诉求派单时限(小时)"), default=1)
    dispatch_urgent_hours = models.PositiveSmallIntegerField(_("水电气热、极端天气等派单时限(小时)"), default=2)
    dispatch_general_hours = models.PositiveSmallIntegerField(_("一般诉求派单时限(小时)"), default=24)
    return_limit_per_unit = models.PositiveSmallIntegerField(_("同一单位退回同一工单次数上限"), default=2)
    review_limit_days = models.PositiveSmallIntegerField(_("答复审核时限(工作日)"), default=1)
    review_categories = models.ManyToManyField("geo.MatterCategory", verbose_name=_("办结前须经指挥中心审核的分类"),
                                               blank=True, related_name="+")
    updated_at = models.DateTimeField(_("更新时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("工单办理规则")
        verbose_name_plural = _("工单办理规则")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="cases_workflow_settings_single_row")]

    def __str__(self) -> str:
        return str(_("工单办理规则"))


class SlaSweepMark(models.Model):
    """One row: when the SLA sweep last finished, so the next one only scans deadlines since then."""

    swept_at = models.DateTimeField()
    # how long that sweep took (exported as zhili_sla_sweep_duration_seconds)
    duration_seconds = models.FloatField(default=0.0, db_default=0.0)

    def __str__(self) -> str:
        return f"swept at {self.swept_at}"


class CaseNumberCounter(models.Model):
    """One row per day; the case number is the day plus this counter (``YYYYMMDD`` + 6 digits)."""

    day = models.DateField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day:%Y%m%d}:{self.last_value}"


class CaseEvent(models.Model):
    """One line of the case file: every action, its actor, time, note and what changed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("动作"), max_length=24)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("操作人说明"), max_length=120, blank=True)
    department = models.ForeignKey("geo.Department", verbose_name=_("部门"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("变更内容"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("案件记录")
        verbose_name_plural = _("案件记录")
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["case", "occurred_at"], name="cases_event_case_time")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.action}"


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("现场照片")
    AFTER_PHOTO = "after_photo", _("处置后照片")
    DOCUMENT = "document", _("材料")


class CaseAttachment(models.Model):
    """A file of a case. The original stays private; photos get an EXIF-free public copy."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    kind = models.CharField(_("类型"), max_length=16, choices=AttachmentKind.choices)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=80)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    private_file = models.FileField(storage=private_case_storage, upload_to="private/%Y/%m/", max_length=300)
    public_file = models.FileField(storage=private_case_storage, upload_to="public/%Y/%m/", max_length=300,
                                   blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("案件附件")
        verbose_name_plural = _("案件附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class ApiKey(models.Model):
    """A client system's key (Open311 ``api_key``, or ``Authorization: Bearer`` on the JSON API).

    Only a SHA-256 hash is stored. A key linked to a user acts with that user's role and scope; a
    key without a user may only file new cases.
    """

    name = models.CharField(_("名称"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    key_prefix = models.CharField(_("前缀"), max_length=8)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("代表用户"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口密钥")
        verbose_name_plural = _("接口密钥")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", _("站内消息")
    WEBHOOK = "webhook", _("部门回调")


class Notification(models.Model):
    """The outbox: written in the same transaction as the change, delivered after commit."""

    channel = models.CharField(max_length=10, choices=NotificationChannel.choices)
    kind = models.CharField(_("类型"), max_length=24)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="case_notifications")
    department = models.ForeignKey("geo.Department", null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="case_notifications")
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    target_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="cases_notification_pending",
                         condition=Q(delivered_at__isnull=True, failed_at__isnull=True)),
            models.Index(fields=["department", "created_at"], name="cases_notification_department"),
            models.Index(fields=["recipient", "created_at"], name="cases_notification_recipient"),
        ]

    def __str__(self) -> str:
        return self.title


class WorkingCalendarOverride(models.Model):
    """A date whose working/holiday status an administrator set by hand (a new year's schedule)."""

    day = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("上班"))
    name = models.CharField(_("说明"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("工作日历调整")
        verbose_name_plural = _("工作日历调整")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'班' if self.is_workday else '休'}"


class CalendarEntrySource(models.TextChoices):
    COMMAND = "command", _("命令 calendar_set")
    PAGE = "page", _("工作日历页面")
    CSV = "csv", _("国务院通知 CSV")


class WorkingCalendarYear(models.Model):
    """A year whose whole official schedule (holidays and 调休 workdays) was entered in the platform.

    Its days are Monday–Friday apart from that year's :class:`WorkingCalendarOverride` rows; the
    calendar library is not consulted for it.
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("录入方式"), max_length=10, choices=CalendarEntrySource.choices)
    notice = models.CharField(_("依据"), max_length=200, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    entered_at = models.DateTimeField(_("录入时间"))

    class Meta:
        verbose_name = _("工作日历年度安排")
        verbose_name_plural = _("工作日历年度安排")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("已上传")
    CHECKED = "checked", _("已试导入")
    COMMITTED = "committed", _("已导入")


class CaseImportBatch(models.Model):
    """A historical work-order file going through upload → column mapping → dry run → commit."""

    original_name = models.CharField(_("文件名"), max_length=200)
    file = models.FileField(storage=private_case_storage, upload_to="imports/%Y/%m/", max_length=300)
    file_format = models.CharField(_("格式"), max_length=8)
    encoding = models.CharField(_("编码"), max_length=20, blank=True)
    headers = models.JSONField(_("表头"), default=list)
    mapping = models.JSONField(_("列对应"), default=dict)
    status = models.CharField(_("状态"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(_("错误"), default=list)
    imported_count = models.PositiveIntegerField(default=0)
    # every sheet read: [{"name", "headers", "row_count"}]; ``sheet`` is the one chosen ("" = all of them)
    sheets = models.JSONField(_("工作表"), default=list)
    sheet = models.CharField(_("导入的工作表"), max_length=100, blank=True)
    close_tolerance_seconds = models.PositiveIntegerField(_("办结时间容差(秒)"), default=60)
    set_aside = models.BooleanField(_("导入有效行、搁置有误行"), default=False)
    set_aside_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    set_aside_file = models.FileField(storage=private_case_storage, upload_to="imports/set-aside/%Y/%m/",
                                      max_length=300, blank=True)
    # the dry run's figures: per sheet counts, distinct source values with counts, adjusted closing times …
    report = models.JSONField(_("报告"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("工单导入")
        verbose_name_plural = _("工单导入")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.original_name


class ImportValueKind(models.TextChoices):
    CATEGORY = "category", _("来源分类")
    DEPARTMENT = "department", _("来源办理单位")
    STATUS = "status", _("来源工单状态")


class ImportValueMapping(models.Model):
    """How one value of imported work orders maps to the district's own: a source classification to a
    matter or category, a source handling unit to a department (or to "external"), a source status
    to a zhili status. District-wide: a later import reuses it, and a mapping made after an import
    is applied to the cases already imported (``services.importing.import_value_mappings_save``).
    """

    kind = models.CharField(_("类型"), max_length=12, choices=ImportValueKind.choices)
    source_value = models.CharField(_("来源值"), max_length=300)
    matter = models.ForeignKey("geo.Matter", verbose_name=_("事项"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    category = models.ForeignKey("geo.MatterCategory", verbose_name=_("分类"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("geo.Department", verbose_name=_("部门"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    is_external = models.BooleanField(_("区外单位"), default=False)
    status = models.CharField(_("状态"), max_length=16, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("导入值对应")
        verbose_name_plural = _("导入值对应")
        ordering = ["kind", "source_value"]
        constraints = [models.UniqueConstraint(fields=["kind", "source_value"], name="cases_unique_import_value")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.source_value}"
