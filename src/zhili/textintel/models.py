"""Models of the textintel app: classifier versions, training jobs, hot-issue runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ClassifierTarget(models.TextChoices):
    """What a model predicts: the case category, or the department that handled such messages."""

    CATEGORY = "category", _("诉求分类")
    DEPARTMENT = "department", _("承办部门")


class ClassifierModel(models.Model):
    """One trained, versioned classifier artifact with its held-out metrics.

    At most one row per target is active at a time (the one intake uses); activating another
    version is the roll-back. The artifact is a joblib file under ``settings.ZHILI_MODEL_DIR`` whose SHA-256
    is checked before it is loaded.
    """

    name = models.CharField(_("名称"), max_length=80)
    version = models.PositiveIntegerField(_("版本"))
    target = models.CharField(_("预测对象"), max_length=16, choices=ClassifierTarget.choices,
                              default=ClassifierTarget.CATEGORY)
    created_at = models.DateTimeField(_("训练时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("训练人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    metrics = models.JSONField(_("评估指标"), default=dict)
    artifact_path = models.CharField(_("模型文件"), max_length=500)
    artifact_sha256 = models.CharField(_("SHA-256"), max_length=64)
    is_active = models.BooleanField(_("在用"), default=False)
    training_message_count = models.PositiveIntegerField(_("训练样本数"), default=0)
    source_file_name = models.CharField(_("训练数据文件"), max_length=255, blank=True)
    text_columns = models.CharField(_("文本列"), max_length=255, blank=True)
    label_column = models.CharField(_("标签列"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("分类模型")
        verbose_name_plural = _("分类模型")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="textintel_unique_model_version"),
            models.UniqueConstraint(
                fields=["target"], condition=models.Q(is_active=True), name="textintel_one_active_model_per_target"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def macro_f1(self) -> float | None:
        value = self.metrics.get("macro_f1")
        return float(value) if value is not None else None


class TrainingJobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("训练中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class ClassifierTrainingJob(models.Model):
    """A training run started from the admin page and executed by the job queue."""

    name = models.CharField(_("模型名称"), max_length=80)
    target = models.CharField(_("预测对象"), max_length=16, choices=ClassifierTarget.choices,
                              default=ClassifierTarget.CATEGORY)
    data_path = models.CharField(_("数据文件"), max_length=500)
    source_file_name = models.CharField(_("原文件名"), max_length=255)
    text_columns = models.CharField(_("文本列"), max_length=255)
    label_column = models.CharField(_("标签列"), max_length=100)
    status = models.CharField(_("状态"), max_length=16, choices=TrainingJobStatus.choices,
                              default=TrainingJobStatus.QUEUED)
    error_message = models.TextField(_("错误信息"), blank=True)
    # the step the running job is at ("3/8 训练线性 SVM …"), for the page that started it
    progress = models.CharField(_("进度"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("提交时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    result_model = models.ForeignKey(
        ClassifierModel, verbose_name=_("产出模型"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("训练任务")
        verbose_name_plural = _("训练任务")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class HotIssueSource(models.TextChoices):
    UPLOADED_FILE = "file", _("上传的留言文件")
    CASES = "cases", _("平台案件")


class HotIssueRunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("计算中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class HotIssueRun(models.Model):
    """One computation of the hot-issue list, persisted so the page reads it back quickly.

    Computed by the job queue when started from the page (a large file takes minutes: the
    similarity of every pair of messages), so its status is part of the row.
    """

    source = models.CharField(_("数据来源"), max_length=16, choices=HotIssueSource.choices)
    source_label = models.CharField(_("来源说明"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("计算时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("计算人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    message_count = models.PositiveIntegerField(_("留言数"), default=0)
    issue_count = models.PositiveIntegerField(_("热点数"), default=0)
    parameters = models.JSONField(_("参数"), default=dict)
    status = models.CharField(_("状态"), max_length=16, choices=HotIssueRunStatus.choices,
                              default=HotIssueRunStatus.SUCCEEDED)
    error_message = models.TextField(_("错误信息"), blank=True)
    data_path = models.CharField(_("数据文件"), max_length=500, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # The area subtrees of the cases the run read (its creator's scope); empty: the whole platform.
    # Only viewers whose scope covers all of them see the run (selectors.hot_issue_run_list).
    scope_paths = models.JSONField(_("范围"), default=list, blank=True)

    class Meta:
        verbose_name = _("热点计算")
        verbose_name_plural = _("热点计算")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.created_at:%Y-%m-%d %H:%M}"


class HotIssue(models.Model):
    """One hot issue (热点问题) of a run: a cluster of reports of one problem at one place."""

    run = models.ForeignKey(HotIssueRun, on_delete=models.CASCADE, related_name="issues")
    rank = models.PositiveIntegerField(_("排名"))
    heat_index = models.FloatField(_("热度指数"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    first_reported_at = models.DateTimeField(_("首次反映"))
    last_reported_at = models.DateTimeField(_("最近反映"))
    representative_title = models.CharField(_("代表标题"), max_length=300, blank=True)
    representative_text = models.TextField(_("代表内容"))
    report_count = models.PositiveIntegerField(_("反映次数"))
    reporter_count = models.PositiveIntegerField(_("反映人数"))
    like_count = models.PositiveIntegerField(_("点赞数"))
    growth = models.FloatField(_("增长"))
    recent_reports = models.PositiveIntegerField(_("近30天反映"), default=0)
    previous_reports = models.PositiveIntegerField(_("此前30天反映"), default=0)
    # [{"id": "188006", "title": ..., "created_at": iso, "likes": 3, "reporter": "A0001"}, ...]
    members = models.JSONField(_("成员"), default=list)

    class Meta:
        verbose_name = _("热点问题")
        verbose_name_plural = _("热点问题")
        ordering = ["run", "rank"]
        constraints = [models.UniqueConstraint(fields=["run", "rank"], name="textintel_unique_issue_rank")]

    def __str__(self) -> str:
        return f"#{self.rank} {self.place}"
