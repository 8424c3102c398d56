"""The pages of the 12345 norms: a confirmed return that lands on the unit's queue, returns on top of
triage and decided there, review from triage, the intake's one-click 催办 and its duplicate list."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from zhili.cases.models import AppealType, Case, CaseEvent
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.services.workflow_settings import workflow_settings_save
from zhili.cases.states import CaseAction, CaseStatus
from zhili.cases.tests.factories import People, World, case_create

GARBAGE = "阳光花园门口垃圾桶满了，垃圾堆放没人清运"


def _dispatched(world: World, people: People, description: str = "小区门口有个东西坏了，请来看看") -> Case:
    case = case_create(description=description)
    return case_transition(case_id=case.pk, action=CaseAction.DISPATCH, actor=people.dispatcher,
                           details=TransitionDetails(department_id=world.department_cg.pk))


def test_returning_an_unsigned_case_asks_to_confirm_then_lands_on_the_inbox(client: Client, world: World,
                                                                            people: People) -> None:
    case = _dispatched(world, people)
    client.force_login(people.handler_cg)
    url = reverse("cases:action", args=[case.number, "return"])
    unconfirmed = client.post(url, {"note": "不属于本单位", "return_matter": world.matter_noise.pk}, follow=True)
    assert unconfirmed.status_code == 200
    assert "退回前请勾选确认" in unconfirmed.content.decode()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DISPATCHED
    response = client.post(url, {"note": "不属于本单位", "return_matter": world.matter_noise.pk, "confirm": "yes"})
    assert (response.status_code, response["Location"]) == (302, reverse("cases:inbox"))
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        f"已退回工单 {case.number}，等待指挥中心审定；审定结果会通知本单位。"]
    assert client.get(response["Location"]).status_code == 200
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RETURNED


def test_returned_cases_lead_triage_with_their_reason_and_are_decided_there(client: Client, world: World,
                                                                            people: People) -> None:
    for index in range(3):
        case_create(description=f"第{index}处路灯不亮，晚上很黑")
    returned = _dispatched(world, people)
    case_transition(case_id=returned.pk, action=CaseAction.RETURN, actor=people.handler_cg,
                    details=TransitionDetails(note="应由环保处理", return_matter_id=world.matter_noise.pk))
    client.force_login(people.dispatcher)
    html = client.get(reverse("cases:triage")).content.decode()
    rows = html.split('<table class="data triage">')[1].split("</table>")[0]
    first_row = rows.split('name="case" value="')[1]
    assert first_row.startswith(str(returned.pk))
    assert "城管局 退回：应由环保处理（依据：权责清单「M003 噪声扰民」（生态环境局））" in html
    decide = reverse("cases:action", args=[returned.number, "return_decide"])
    client.post(decide, {"approve": "yes", "department": world.department_hb.pk, "next": reverse("cases:triage")})
    decided = Case.objects.get(pk=returned.pk)
    assert (decided.status, decided.department_id) == (CaseStatus.DISPATCHED, world.department_hb.pk)
    again = client.post(decide, {"approve": "no", "note": "属于城管", "next": reverse("cases:triage")}, follow=True)
    assert "的「审定退回」已由他人办理，当前状态为「已派单」" in again.content.decode()


def test_the_centre_reviews_a_reply_from_triage(client: Client, world: World, people: People) -> None:
    workflow_settings_save(actor=None, review_category_ids=[world.category_city.pk])
    case = _dispatched(world, people)
    Case.objects.filter(pk=case.pk).update(category=world.category_city)
    case_transition(case_id=case.pk, action=CaseAction.ACCEPT, actor=people.handler_cg)
    case_transition(case_id=case.pk, action=CaseAction.REPLY, actor=people.handler_cg,
                    details=TransitionDetails(note="已更换灯泡"))
    client.force_login(people.dispatcher)
    html = client.get(reverse("cases:triage")).content.decode()
    assert "答复待审核" in html
    assert "已更换灯泡" in html
    client.post(reverse("cases:action", args=[case.number, "review"]), {"approve": "yes"})
    assert Case.objects.get(pk=case.pk).status == CaseStatus.FINISHED


def test_intake_merges_a_repeat_call_as_an_urging_in_one_click(client: Client, world: World, people: People) -> None:
    earlier = case_create(description=GARBAGE, point=(119.9212, 31.7211))
    client.force_login(people.operator)
    cases_before = Case.objects.count()
    response = client.post(reverse("cases:intake"), {
        "description": "又打来了：阳光花园门口垃圾还是没人清运", "urge_case": earlier.number, "form_token": "t1"})
    assert (response.status_code, response["Location"]) == (302, reverse("cases:intake"))
    assert Case.objects.count() == cases_before
    urged = Case.objects.get(pk=earlier.pk)
    assert urged.urge_count == 1
    event = CaseEvent.objects.filter(case=earlier, action=CaseAction.URGE).get()
    assert event.note == "又打来了：阳光花园门口垃圾还是没人清运"
    client.force_login(people.dispatcher)
    assert "催办（重复来电） 1 次" in client.get(reverse("cases:detail", args=[earlier.number])).content.decode()


def test_intake_result_names_duplicates_by_number_with_a_percentage(client: Client, world: World,
                                                                   people: People) -> None:
    earlier = case_create(description=GARBAGE, point=(119.9212, 31.7211))
    client.force_login(people.operator)
    html = client.post(reverse("cases:intake"), {
        "description": GARBAGE, "longitude": "119.9212", "latitude": "31.7211", "form_token": "t2",
        "appeal_type": AppealType.COMPLAINT}).content.decode()
    result = html.split("受理结果")[1]
    assert f'<a href="/cases/{earlier.number}/">{earlier.number}</a> · 相似度 ' in result
    assert f"#{earlier.pk} " not in result
    percentage = result.split("相似度 ")[1].split("<")[0]
    assert percentage.endswith("%")
    assert 0 < int(percentage[:-1]) <= 100
    assert Case.objects.exclude(pk=earlier.pk).get().appeal_type == AppealType.COMPLAINT
