"""The clustering of hot issues: blocks, average linkage, caps (pure computation, no database)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from zhili.core.errors import ApplicationError
from zhili.textintel import hot_issues
from zhili.textintel.hot_issues import (
    LINK_SIMILARITY,
    HotIssueMessage,
    hot_issues_compute,
    message_blocks,
    messages_from_csv_bytes,
    run_similarity,
)

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
# One template, one road, eight unrelated problems: the demo district's hard case.
PROBLEMS = ("路灯不亮", "井盖缺失", "噪音扰民", "垃圾堆放", "油烟直排", "违章停车", "占道经营", "污水外溢")
ROADS = ("红梅路", "兰陵路", "北环路", "青龙路", "茶山路", "雕庄路", "郑陆路")


def _message(number: int, text: str, *, days: float = 0, topic: str = "", place: str = "") -> HotIssueMessage:
    return HotIssueMessage(message_id=str(number), reporter=f"r{number}", title=text[:30], text=text,
                           created_at=AT + dt.timedelta(days=days), likes=0, topic=topic, place=place)


def _memberships(messages: list[HotIssueMessage]) -> list[list[str]]:
    result = hot_issues_compute(messages)
    return sorted(sorted(member.message_id for member in issue.members) for issue in result.issues)


def test_unrelated_templated_texts_sharing_many_words_are_not_chained() -> None:
    """Each text shares the template and one of its two problems with the next: a chain of look-alikes."""
    messages = [
        _message(number, f"反映{road}{first}、{second}的问题，已经好几天了，影响周边居民生活，请相关部门尽快处理。")
        for number, (road, first, second) in enumerate(zip(ROADS, PROBLEMS, PROBLEMS[1:], strict=False))
    ]
    similarity = run_similarity(messages, list(range(len(messages))))
    neighbours = [similarity[number, number + 1] for number in range(len(messages) - 1)]
    # every text is alike its neighbour by the rule, so connected components (single linkage) made one
    # issue of all seven: 路灯不亮 and 污水外溢 in one "hot issue"
    assert min(neighbours) >= LINK_SIMILARITY
    memberships = _memberships(messages)
    assert max(len(members) for members in memberships) <= 3
    assert memberships == [["1", "2"], ["3", "4"], ["5", "6"]]


def test_exact_memberships_of_recorded_cases() -> None:
    """Platform cases: one matter at one place within the window is one issue, however it is worded."""
    messages = [
        _message(1, "红梅新村垃圾堆放好几天没人清运", topic="M001", place="红梅新村"),
        _message(2, "反映红梅新村的垃圾桶满了，臭味很大", topic="M001", place="红梅新村", days=3),
        _message(3, "红梅新村门口垃圾堆放", topic="M001", place="红梅新村小区", days=20),  # 小区: the same compound
        _message(4, "红梅新村晚上施工噪音扰民", topic="M003", place="红梅新村", days=1),  # another matter
        _message(5, "红梅新村夜间施工太吵", topic="M003", place="红梅新村", days=2),
        _message(6, "兰陵路垃圾堆放好几天没人清运", topic="M001", place="兰陵路", days=1),  # another place
        _message(7, "红梅新村垃圾堆放又没人清运", topic="M001", place="红梅新村", days=400),  # out of the window
    ]
    assert _memberships(messages) == [["1", "2", "3"], ["4", "5"]]


def test_exact_memberships_of_an_uploaded_file() -> None:
    data = (
        "msg_id,user_id,title,created_at,content,likes\n"
        "a,U1,A2区丽发新城小区搅拌站噪音扰民,2019/11/2 10:00:00,丽发新城小区旁边建了搅拌站，噪音很大,3\n"
        "b,U2,投诉丽发新城小区附近搅拌站噪音,2019/11/20 09:00:00,丽发新城小区附近搅拌站每天轰鸣，影响休息,5\n"
        "c,U3,A3区杏林小区旁工地半夜施工扰民,2019/11/3 23:00:00,杏林小区旁工地半夜施工，噪音扰民,0\n"
        "d,U4,A3区杏林小区工地夜间施工噪音,2019/11/5 23:30:00,杏林小区旁边的工地夜间施工，吵得睡不着,1\n"
        "e,U5,A2区魅力之城小区停车难,2019/11/6 08:00:00,魅力之城小区车位太少，停车难,0\n"
        "f,U6,A市人才补贴何时发放,2019/5/1 12:00:00,人才新政租房补贴两个月没发,0\n"
    ).encode()
    assert _memberships(messages_from_csv_bytes(data)) == [["a", "b"], ["c", "d"]]


def test_blocks_are_cut_into_bounded_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hot_issues, "BLOCK_ROWS", 4)
    messages = [_message(number, "A2区丽发新城小区搅拌站噪音扰民", days=number) for number in range(9)]
    messages.append(_message(9, "A3区杏林小区旁工地半夜施工扰民"))
    runs = message_blocks(messages)
    assert runs == [[0, 1, 2, 3], [4, 5, 6, 7], [8], [9]]  # A2区 in time order, then A3区
    result = hot_issues_compute(messages)
    assert [issue.report_count for issue in result.issues] == [4, 4]
    assert result.cluster_of["8"] not in {result.cluster_of["0"], result.cluster_of["4"]}


def test_runs_span_at_most_run_days() -> None:
    days = (0, 100, hot_issues.RUN_DAYS, hot_issues.RUN_DAYS + 1, hot_issues.RUN_DAYS + 150)
    messages = [_message(number, "红梅新村垃圾堆放", topic="M001", place="红梅新村", days=day)
                for number, day in enumerate(days)]
    assert message_blocks(messages) == [[0, 1, 2], [3, 4]]


def test_more_rows_than_the_cap_are_refused_before_any_work() -> None:
    messages = [_message(number, "路灯不亮") for number in range(5)]
    with pytest.raises(ApplicationError) as raised:
        hot_issues_compute(messages, max_rows=4)
    assert (raised.value.code, raised.value.status_code) == ("hot_issue_too_many_rows", 413)
    assert "5 条" in raised.value.message
    rows = "msg_id,user_id,title,created_at,content\n" + "".join(f"{n},U,t,2019/1/1,c\n" for n in range(5))
    with pytest.raises(ApplicationError) as raised:
        messages_from_csv_bytes(rows.encode(), max_rows=4)
    assert raised.value.code == "hot_issue_too_many_rows"
    assert len(messages_from_csv_bytes(rows.encode(), max_rows=5)) == 5


def test_the_heat_of_an_issue_is_explained_by_its_counts() -> None:
    messages = [_message(number, "红梅新村垃圾堆放没人清运", topic="M001", place="红梅新村", days=days)
                for number, days in enumerate((0, 10, 35, 40, 45))]
    issue = hot_issues_compute(messages).issues[0]
    # the last 30 days of the cluster (days 45, 40, 35) against the 30 before (days 10, 0)
    assert (issue.report_count, issue.reporter_count, issue.recent_reports, issue.previous_reports) == (5, 5, 3, 2)
    assert issue.growth == 0.5
    assert np.isclose(issue.heat_index, hot_issues.heat_index(report_count=5, reporter_count=5, like_count=0,
                                                              growth=0.5, days_since_last=0.0))


def test_the_small_run_path_gives_the_same_similarities_and_clusters_as_scipy() -> None:
    """Small runs are compared in one batch and clustered without SciPy: the same numbers, the same clusters."""
    messages = [
        _message(0, "红梅新村垃圾堆放好几天没人清运", topic="M001", place="红梅新村"),
        _message(1, "红梅新村门口垃圾桶满了", topic="M001", place="红梅新村", days=2),
        _message(2, "红梅新村垃圾又堆起来了", topic="M001", place="红梅新村", days=300),
        _message(3, "A2区丽发新城小区搅拌站噪音扰民"),
        _message(4, "丽发新城小区搅拌站每天轰鸣"),
        _message(5, "A2区魅力之城小区油烟扰民"),
    ]
    placed = hot_issues._placed_all(messages)
    vectors = hot_issues._vectors(messages)
    runs = [[0, 1, 2], [3, 4, 5]]
    batched = hot_issues.small_run_similarities(messages, runs, vectors=vectors, placed=placed)
    for run, similarity in zip(runs, batched, strict=True):
        assert np.allclose(similarity, run_similarity(messages, run, vectors=vectors, placed=placed))
    generator = np.random.default_rng(7)
    for size in (2, 3, 5, 8, 13, 21):
        for _repeat in range(20):
            # below the cap of 1: with equal similarities the two may merge in another order
            values = generator.uniform(-0.2, 0.95, size=(size, size))
            similarity = (values + values.T) / 2
            small = sorted(sorted(cluster) for cluster in hot_issues._average_linkage_small(similarity))
            monkeypatched = hot_issues.SMALL_RUN
            try:
                hot_issues.SMALL_RUN = 0  # force the SciPy path
                scipy = sorted(sorted(cluster) for cluster in hot_issues._run_clusters(similarity))
            finally:
                hot_issues.SMALL_RUN = monkeypatched
            assert small == scipy
