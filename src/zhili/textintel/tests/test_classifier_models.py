from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.core.errors import ApplicationError
from zhili.textintel import selectors
from zhili.textintel.classifier import ClassifierSettings
from zhili.textintel.models import ClassifierModel, ClassifierTarget, ClassifierTrainingJob, TrainingJobStatus
from zhili.textintel.services import NO_ACTIVE_MODEL, classifier_model_activate, classifier_model_train

SMALL = ClassifierSettings(max_character_features=5_000, max_word_features=5_000)
TOPICS = {
    "城乡建设": ["小区 道路 破损 坑洼", "楼顶 水箱 二次 供水", "路灯 不亮 夜间 出行", "窨井盖 缺失 危险"],
    "环境保护": ["工厂 排放 废气 刺鼻", "河道 污水 发黑 发臭", "搅拌站 噪音 扬尘 严重", "餐馆 油烟 直排 扰民"],
    "教育文体": ["学校 学位 不足 入学", "幼儿园 收费 过高", "教师 工资 拖欠 待遇", "学区 划分 不合理"],
}


def labelled_csv(*, repeat: int = 6, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["title", "content", "label"])
    for index in range(repeat):
        for label, phrases in TOPICS.items():
            for phrase in phrases:
                writer.writerow([f"反映{phrase.split()[0]}问题{index}", f"{phrase} 请 尽快 处理 第{index}次", label])
    return buffer.getvalue().encode(encoding)


def train(name: str = "category", data: bytes | None = None) -> ClassifierModel:
    return classifier_model_train(name=name, data=data or labelled_csv(), file_name="history.csv",
                                  text_columns=["title", "content"], label_column="label", settings_override=SMALL)


@pytest.fixture
def admin_client(db: None) -> Client:
    user = User.objects.create_user(username="ti-admin", password="x-Pass-2026", role=Role.ADMIN)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_training_registers_a_version_with_held_out_metrics_beside_a_baseline_and_activates_nothing() -> None:
    model = train()
    assert (model.name, model.version, model.is_active) == ("category", 1, False)  # a person activates it
    assert set(model.metrics["baseline"]) == {"macro_f1", "accuracy", "description"}
    assert 0.0 <= model.metrics["baseline"]["macro_f1"] <= 1.0
    assert model.metrics["current_model"] is None  # nothing was in use
    assert model.training_message_count == 72  # the stored model is trained again on every row
    assert model.metrics["held_out_count"] == 14
    assert model.metrics["evaluation_training_count"] == 58  # the figures come from a model that did not see them
    assert set(model.metrics["per_class"]) == set(TOPICS)
    assert len(model.metrics["confusion_matrix"]) == 3
    assert model.metrics["macro_f1"] >= 0.9
    assert len(model.artifact_sha256) == 64
    classifier_model_activate(model_id=model.pk, actor_id=None, compared_with=NO_ACTIVE_MODEL)
    second = train()
    assert (second.version, second.is_active) == (2, False)
    # measured on the second run's own held-out rows, beside the new model and the baseline
    assert (second.metrics["current_model"]["id"], second.metrics["current_model"]["version"]) == (model.pk, 1)
    assert second.metrics["current_model"]["macro_f1"] == second.metrics["macro_f1"]  # same data, same model
    assert second.metrics["current_model"]["labels_known_share"] == 1.0


@pytest.mark.django_db
def test_activation_needs_the_comparison_against_the_model_in_use_now() -> None:
    first, second = train(), train()
    with pytest.raises(ApplicationError) as stale:
        classifier_model_activate(model_id=first.pk, actor_id=None, compared_with=second.pk)
    assert stale.value.code == "classifier_comparison_outdated"
    classifier_model_activate(model_id=first.pk, actor_id=None, compared_with=NO_ACTIVE_MODEL)
    with pytest.raises(ApplicationError) as outdated:
        classifier_model_activate(model_id=second.pk, actor_id=None, compared_with=NO_ACTIVE_MODEL)
    assert outdated.value.code == "classifier_comparison_outdated"
    classifier_model_activate(model_id=second.pk, actor_id=None, compared_with=first.pk)
    assert list(ClassifierModel.objects.filter(is_active=True).values_list("version", flat=True)) == [2]


@pytest.mark.django_db
def test_active_classifier_predicts_calibrated_probabilities_and_follows_activation() -> None:
    first = train()
    assert selectors.active_category_classifier() is None
    classifier_model_activate(model_id=first.pk, actor_id=None, compared_with=None)
    classifier = selectors.active_category_classifier()
    assert classifier is not None
    assert classifier.name == "category v1"
    [ranked] = classifier.predict(["A3区某小区餐馆油烟直排，噪音扰民"])
    assert ranked[0][0] == "环境保护"
    assert [label for label, _p in ranked] == sorted([label for label, _p in ranked],
                                                    key=lambda label: -dict(ranked)[label])
    assert abs(sum(probability for _label, probability in ranked) - 1.0) < 1e-6
    second = train()
    classifier_model_activate(model_id=second.pk, actor_id=None, compared_with=None)
    assert selectors.active_category_classifier().name == "category v2"  # type: ignore[union-attr]
    classifier_model_activate(model_id=first.pk, actor_id=None, compared_with=None)  # roll back
    assert list(ClassifierModel.objects.filter(is_active=True).values_list("version", flat=True)) == [1]
    assert selectors.active_category_classifier().name == "category v1"  # type: ignore[union-attr]


@pytest.mark.django_db
def test_a_category_model_and_a_department_model_are_active_side_by_side_each_with_its_own_roll_back() -> None:
    category = train()
    department = classifier_model_train(
        name="department", data=labelled_csv(), file_name="history.csv", text_columns=["title", "content"],
        label_column="label", settings_override=SMALL, target=ClassifierTarget.DEPARTMENT)
    assert (category.is_active, department.is_active) == (False, False)  # trained on imported labels: not live
    assert selectors.active_department_classifier() is None
    classifier_model_activate(model_id=category.pk, actor_id=None, compared_with=None)
    classifier_model_activate(model_id=department.pk, actor_id=None, compared_with=None)
    assert selectors.active_category_classifier().name == "category v1"  # type: ignore[union-attr]
    assert selectors.active_department_classifier().name == "department v1"  # type: ignore[union-attr]
    second = classifier_model_train(
        name="department", data=labelled_csv(), file_name="history.csv", text_columns=["title", "content"],
        label_column="label", settings_override=SMALL, target=ClassifierTarget.DEPARTMENT)
    assert second.is_active is False
    classifier_model_activate(model_id=second.pk, actor_id=None, compared_with=None)
    active = set(ClassifierModel.objects.filter(is_active=True).values_list("name", "version", "target"))
    assert active == {("category", 1, "category"), ("department", 2, "department")}  # the category model stays
    assert set(selectors.active_classifier_models()) == {"category", "department"}
    with pytest.raises(ApplicationError) as raised:
        classifier_model_train(name="x", data=labelled_csv(), file_name="h.csv", text_columns=["title"],
                               label_column="label", target="grid")
    assert raised.value.code == "classifier_target_invalid"
    assert "department" in raised.value.message


@pytest.mark.django_db
def test_no_active_model_gives_none_and_an_altered_artifact_is_refused() -> None:
    assert selectors.active_category_classifier() is None
    model = train()
    Path(model.artifact_path).write_bytes(b"not the model")
    with pytest.raises(ApplicationError) as raised:
        classifier_model_activate(model_id=model.pk, actor_id=None, compared_with=None)
    assert raised.value.code == "classifier_artifact_altered"


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "columns", "label", "code"), [
    (labelled_csv(), ["title", "body"], "label", "labelled_file_missing_columns"),
    ("title,content,label\n路灯不亮,晚上很黑,\n窨井盖,坏了,城乡建设\n".encode(), ["title", "content"], "label",
     "labelled_file_empty_labels"),
    ("title,content,label\n路灯不亮,晚上很黑,城乡建设\n窨井盖,坏了,城乡建设\n".encode(), ["title", "content"], "label",
     "labelled_file_one_class"),
    (b"", ["title"], "label", "labelled_file_empty"),
])
def test_bad_files_are_refused_with_a_clear_error(data: bytes, columns: list[str], label: str, code: str) -> None:
    with pytest.raises(ApplicationError) as raised:
        classifier_model_train(name="category", data=data, file_name="bad.csv", text_columns=columns,
                               label_column=label)
    assert raised.value.code == code
    assert ClassifierModel.objects.count() == 0


@pytest.mark.django_db
def test_gbk_encoded_history_is_read() -> None:
    model = train(data=labelled_csv(encoding="gbk"))
    assert set(model.metrics["label_counts"]) == set(TOPICS)


@pytest.mark.django_db
def test_train_and_evaluate_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "history.csv"
    data.write_bytes(labelled_csv())
    call_command("classifier_train", "--data", str(data), "--text-columns", "title,content",
                 "--label-column", "label", "--name", "cli")
    printed = capsys.readouterr().out
    assert "模型 cli v1 已登记（未启用：请在“分类模型”页比较后启用）" in printed
    assert '"baseline_macro_f1": ' in printed
    call_command("classifier_train", "--data", str(data), "--text-columns", "title,content",
                 "--label-column", "label", "--name", "routing", "--target", "department")
    assert ClassifierModel.objects.get(name="routing").target == ClassifierTarget.DEPARTMENT
    capsys.readouterr()
    call_command("classifier_evaluate", "--model", "cli", "--data", str(data), "--text-columns", "title,content",
                 "--label-column", "label")
    result = json.loads(capsys.readouterr().out)
    assert {"macro_f1", "accuracy", "per_class", "ms_per_message"} <= set(result)
    assert result["macro_f1"] >= 0.9
    with pytest.raises(CommandError, match="没有名为"):
        call_command("classifier_evaluate", "--model", "missing", "--data", str(data), "--text-columns", "title",
                     "--label-column", "label")


@pytest.mark.django_db
def test_models_page_trains_through_the_queue_and_activates(
    admin_client: Client, django_capture_on_commit_callbacks: Any,
) -> None:
    upload = io.BytesIO(labelled_csv())
    upload.name = "history.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("textintel:model_train"), {
            "data": upload, "text_columns": "title,content", "label_column": "label", "name": "web"})
    assert response.status_code == 302
    job = ClassifierTrainingJob.objects.get()
    assert job.status == TrainingJobStatus.SUCCEEDED
    assert job.result_model is not None
    page = admin_client.get(reverse("textintel:models"))
    assert page.status_code == 200
    assert "web v1" in page.content.decode()
    detail = admin_client.get(reverse("textintel:model_detail", args=[job.result_model.pk]))
    assert "混淆矩阵" in detail.content.decode()
    assert job.result_model.is_active is False  # training never switches a model on
    comparison = admin_client.get(reverse("textintel:model_compare", args=[job.result_model.pk])).content.decode()
    assert "简单基线" in comparison
    assert 'name="compared_with" value="0"' in comparison
    refused = admin_client.post(reverse("textintel:model_activate", args=[job.result_model.pk]), follow=True)
    assert "请先在比较页查看" in refused.content.decode()
    admin_client.post(reverse("textintel:model_activate", args=[job.result_model.pk]), {"compared_with": "0"})
    assert ClassifierModel.objects.get(name="web").is_active
    routing_upload = io.BytesIO(labelled_csv())
    routing_upload.name = "routing.csv"
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("textintel:model_train"), {
            "data": routing_upload, "text_columns": "title,content", "label_column": "label", "name": "routing",
            "target": "department"})
    routing = ClassifierModel.objects.get(name="routing")
    assert (routing.target, routing.is_active) == (ClassifierTarget.DEPARTMENT, False)
    admin_client.post(reverse("textintel:model_activate", args=[routing.pk]), {"compared_with": "0"})
    routing.refresh_from_db()
    assert routing.is_active
    assert ClassifierModel.objects.get(name="web").is_active  # a department model does not replace it
    page_text = admin_client.get(reverse("textintel:models")).content.decode()
    assert "routing v1" in page_text
    assert "承办部门" in page_text
    stopped = admin_client.post(reverse("textintel:model_deactivate", args=[routing.pk]), follow=True)
    assert "受理不再按历史派单复核部门" in stopped.content.decode()
    assert set(ClassifierModel.objects.filter(is_active=True).values_list("name", flat=True)) == {"web"}


@pytest.mark.django_db
def test_models_page_needs_classifier_manage(db: None) -> None:
    user = User.objects.create_user(username="ti-operator", password="x-Pass-2026", role=Role.OPERATOR)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("textintel:models")).status_code == 403
