"""The fuzzers' small world: the authorization world (two streets, one user per role, a case in and out of
scope, a plan) plus one object of each kind a URL names — a photo, an export job, a published enterprise
evaluation with an objection and a measure, an evaluation report, a hot-issue run — so that every URL
pattern can be filled with a real value and the fuzz reaches past the 404."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from tests.authorization.world import World, world_create
from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.cases.contracts import CaseFilter
from zhili.cases.models import CaseAttachment
from zhili.cases.services.api_keys import api_key_issue
from zhili.cases.services.attachments import attachments_build, photos_validate
from zhili.cases.services.workbench import case_list_export_start
from zhili.core import clock


@dataclass
class FuzzWorld:
    world: World
    api_key: str
    path_values: dict[str, list[str]]

    @property
    def users(self) -> dict[str, User]:
        return self.world.users


def _photo_attach(world: World) -> CaseAttachment:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), (30, 90, 160)).save(buffer, format="JPEG")
    content = buffer.getvalue()
    photos = photos_validate([("photo.jpg", io.BytesIO(content), len(content))])
    return attachments_build(case=world.case_in, photos=photos, kind="photo", uploaded_by_id=None,
                             at=clock.now())[0]


def _enterprise_objects(analyst: User, reviewer: User) -> dict[str, list[str]]:
    from zhili.enterprises import services
    from zhili.enterprises.models import ObjectorKind, PolicyMeasureKind, SourceKind
    from zhili.enterprises.presets import RANK_SHARE_THREE_INDICATORS
    from zhili.enterprises.tests.factories import credit_code_for, enterprise_create

    enterprises = [enterprise_create(number, longitude=119.91 + 0.01 * number, latitude=31.72)
                   for number in range(1, 6)]
    services.year_values_record(actor=None, year=2025, source_kind=SourceKind.OTHER, source_label="模糊测试",
                                values={enterprise.pk: {"tax": 10.0 * index, "sales": 100.0 * index,
                                                        "energy_tce": 5.0}
                                        for index, enterprise in enumerate(enterprises, start=1)})
    scheme = services.scheme_save(actor=analyst, code="fuzz", name="模糊测试方案", year=2025,
                                  config=RANK_SHARE_THREE_INDICATORS)
    run = services.evaluation_run_execute(actor=analyst, year=2025, scheme=scheme)
    run = services.evaluation_run_publish(actor=reviewer, run=run)
    result = run.results.order_by("rank").first()
    assert result is not None
    objection = services.objection_record(actor=analyst, result=result, submitted_by_name="某企业",
                                          content="数据有误", evidence="完税证明 2025-001", credit_code=result.enterprise.credit_code,
                                          objector_kind=ObjectorKind.ENTERPRISE)
    measure = services.policy_measure_create(actor=analyst, result=result, kind=PolicyMeasureKind.RECTIFICATION,
                                             description="整改")
    return {"run_id": [str(run.pk)], "result_id": [str(result.pk)], "objection_id": [str(objection.pk)],
            "measure_id": [str(measure.pk)], "credit_code": [credit_code_for(1), result.enterprise.credit_code]}


def fuzz_world_create() -> FuzzWorld:
    from zhili.indicators.services import evaluation_report_generate
    from zhili.textintel.services import hot_issue_run_create_from_cases

    world = world_create()
    admin = world.users[Role.ADMIN]
    attachment = _photo_attach(world)
    job_id = case_list_export_start(user=admin, filters=CaseFilter())
    report = evaluation_report_generate(plan=world.plan, stage="midterm", year=world.plan.base_year + 2,
                                        actor=world.users[Role.PLANNER])
    reviewer = User.objects.create_user(username="fuzz-reviewer", password=None, role=Role.ANALYST,
                                        display_name="复核人")
    enterprise_values = _enterprise_objects(world.users[Role.ANALYST], reviewer)
    hot_run = hot_issue_run_create_from_cases(actor_id=admin.pk, days=90)
    key = api_key_issue(name="fuzz", user=admin).raw_key
    path_values = {
        "number": [world.case_in.number, world.case_out.number],
        "service_request_id": [world.case_in.number],
        "token": [world.case_in.tracking_code, attachment.sha256[:32]],
        "attachment_id": [str(attachment.pk)],
        "job_id": [job_id],
        "code": [world.grid_west.code, world.grid_east.code],
        "grid_id": [str(world.grid_west.pk)],
        "plan_id": [str(world.plan.pk)],
        "indicator_id": [str(world.indicator.pk)],
        "report_id": [str(report.pk)],
        "draft_id": ["1"],
        "batch_id": ["1"],
        "model_id": ["1"],
        "service_code": ["M001", "M003"],
        "fmt": ["json", "xml"],
        "file_format": ["xlsx", "docx"],
        "action": ["dispatch", "accept", "supervise", "follow_up", "cancel"],
        **enterprise_values,
    }
    path_values["run_id"] = [*path_values["run_id"], str(hot_run.pk)]
    return FuzzWorld(world=world, api_key=key, path_values=path_values)
