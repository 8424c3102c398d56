"""Matter proposals with text intelligence's department model as a second opinion on routing."""

from __future__ import annotations

import csv
import io

import pytest

from zhili.cases.classification import MatterProposal, department_opinion_applied, matter_proposals
from zhili.cases.tests.factories import world_create
from zhili.textintel.classifier import ClassifierSettings
from zhili.textintel.models import ClassifierTarget
from zhili.textintel.selectors import active_department_classifier
from zhili.textintel.services import classifier_model_activate, classifier_model_train


def _proposal(matter_id: int, department_id: int, confidence: float) -> MatterProposal:
    return MatterProposal(matter_id=matter_id, matter_code=f"M{matter_id}", matter_name="事项", category_id=1,
                          category_code="C", category_name="类", department_id=department_id,
                          confidence=confidence, source="keywords")


def test_a_department_the_model_finds_unlikely_keeps_half_its_confidence_and_an_unknown_one_all() -> None:
    proposals = [_proposal(1, 10, 0.8), _proposal(2, 20, 0.7), _proposal(3, 30, 0.6)]
    departments = {10: ("HB", "生态环境局"), 20: ("CG", "城管局"), 30: ("SW", "水务局")}
    weighed = department_opinion_applied(proposals, {"城管局": 0.8, "HB": 0.2}, departments)  # a name and a code
    assert [(proposal.matter_id, proposal.confidence, proposal.source) for proposal in weighed] == [
        (2, 0.7, "keywords+department"),  # the model's own best: 0.5 + 0.5 × 0.8 / 0.8 = 1
        (3, 0.6, "keywords"),  # 水务局 is not among the model's labels: the history cannot speak for it
        (1, 0.5, "keywords+department"),  # 0.8 × (0.5 + 0.5 × 0.2 / 0.8) = 0.5
    ]
    assert department_opinion_applied(proposals, {}, departments) == proposals


def _history_labelled_by_department() -> bytes:
    """Past messages and the department that handled them: here building-site noise went to 城管局."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["content", "department"])
    for index in range(8):
        writer.writerow([f"工地夜间施工噪音扰民第{index}次，渣土车进出", "城管局"])
        writer.writerow([f"小区垃圾堆放无人清运第{index}次", "城管局"])
        writer.writerow([f"化工厂排放废气刺鼻第{index}次，河道发黑", "生态环境局"])
        writer.writerow([f"企业偷排污水第{index}次，鱼虾死亡", "生态环境局"])
    return buffer.getvalue().encode("utf-8")


@pytest.mark.django_db
def test_an_active_department_model_lowers_a_matter_whose_department_history_disagrees_with() -> None:
    world = world_create()
    text = "工地夜间施工噪音扰民"
    [before] = [proposal for proposal in matter_proposals(text) if proposal.matter_id == world.matter_noise.pk]
    assert before.source == "keywords"
    model = classifier_model_train(
        name="department", data=_history_labelled_by_department(), file_name="history.csv",
        text_columns=["content"], label_column="department", target=ClassifierTarget.DEPARTMENT,
        settings_override=ClassifierSettings(max_character_features=5_000, max_word_features=5_000),
    )
    assert (model.target, model.is_active) == (ClassifierTarget.DEPARTMENT, False)
    assert active_department_classifier() is None  # never switched on for live intake by training
    classifier_model_activate(model_id=model.pk, actor_id=None, compared_with=None)
    department_model = active_department_classifier()
    assert department_model is not None
    probabilities = dict(department_model.predict([text])[0])
    assert probabilities["城管局"] > probabilities["生态环境局"]
    [after] = [proposal for proposal in matter_proposals(text) if proposal.matter_id == world.matter_noise.pk]
    expected = round(before.confidence * (0.5 + 0.5 * probabilities["生态环境局"] / probabilities["城管局"]), 4)
    assert (after.confidence, after.source) == (expected, "keywords+department")
    assert after.confidence < before.confidence
