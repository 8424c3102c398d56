from __future__ import annotations

import datetime as dt

from zhili.textintel.duplicates import DuplicateCandidate, distance_meters, duplicate_scores

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def candidate(case_id: int, text: str, *, longitude: float | None = None, latitude: float | None = None,
              category: str | None = None, days_before: int = 0) -> DuplicateCandidate:
    return DuplicateCandidate(case_id=case_id, text=text, longitude=longitude, latitude=latitude,
                              category_code=category, created_at=AT - dt.timedelta(days=days_before))


def test_same_problem_same_spot_scores_above_unrelated_and_far_cases() -> None:
    text = "红梅新村12栋门口窨井盖破损，行人容易踩空"
    scores = duplicate_scores(
        text=text, longitude=119.9750, latitude=31.7800, category_code="SR", created_at=AT,
        candidates=[
            candidate(1, "红梅新村12栋门口的窨井盖坏了，很危险", longitude=119.9751, latitude=31.7801, category="SR"),
            candidate(2, "青龙街道菜场早上噪音扰民", longitude=119.9750, latitude=31.7800, category="HJ"),
            candidate(3, "红梅新村12栋门口窨井盖破损，行人容易踩空", longitude=119.9900, latitude=31.8000,
                      category="SR", days_before=200),
        ],
    )
    assert [case_id for case_id, _score in scores] == [1, 3]
    assert scores[0][1] > 0.6
    assert all(0.0 <= score <= 1.0 for _case_id, score in scores)


def test_no_candidates_and_empty_text() -> None:
    assert duplicate_scores(text="", longitude=None, latitude=None, category_code=None, created_at=AT,
                            candidates=[]) == []
    assert duplicate_scores(text="", longitude=None, latitude=None, category_code=None, created_at=AT,
                            candidates=[candidate(1, "")]) == []


def test_places_named_in_text_count_when_there_are_no_coordinates() -> None:
    text = "A2区丽发新城小区附近搅拌站噪音扰民"
    same_place = candidate(1, "投诉丽发新城小区旁边的搅拌站灰尘大")
    other_place = candidate(2, "投诉魅力之城小区旁边的搅拌站灰尘大")
    scores = dict(duplicate_scores(text=text, longitude=None, latitude=None, category_code=None, created_at=AT,
                                   candidates=[same_place, other_place], threshold=0.0))
    assert scores[1] > scores[2]


def test_distance_is_haversine_meters() -> None:
    assert round(distance_meters(120.0, 30.0, 120.0, 30.001)) == 111
