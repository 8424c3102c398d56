"""Tunable rules of the case workflow, read from settings with documented defaults.

The 12345 norms' numbers a centre changes itself (appeal-type and dispatch limits, the return cap,
review) are a table instead: ``WorkflowSettings``, through ``services.workflow_settings``.

| setting | default | meaning |
|---|---|---|
| ``ZHILI_AUTO_DISPATCH_THRESHOLD`` | 0.75 | proposals at or above this confidence are dispatched without a dispatcher |
| ``ZHILI_SLA_WARNING_SHARE`` | 0.8 | yellow light (黄灯) after this share of a stage's limit |
| ``ZHILI_REOPEN_ON_UNSATISFIED`` | True | an 不满意 follow-up reopens (重办) the case automatically |
| ``ZHILI_REOPEN_LIMIT`` | 2 | automatic reopenings per case; after that the dispatcher decides |
| ``ZHILI_DUPLICATE_RADIUS_DEGREES`` | 0.003 | half-size of the box searched for duplicates (≈300 m) |
| ``ZHILI_DUPLICATE_WINDOW_DAYS`` | 30 | only open cases created this recently are duplicate candidates |
| ``ZHILI_DUPLICATE_THRESHOLD`` | 0.8 | a candidate at or above this score holds the case for the dispatcher |
"""

from __future__ import annotations

from django.conf import settings


def auto_dispatch_threshold() -> float:
    return float(getattr(settings, "ZHILI_AUTO_DISPATCH_THRESHOLD", 0.75))


def sla_warning_share() -> float:
    return float(getattr(settings, "ZHILI_SLA_WARNING_SHARE", 0.8))


def reopen_on_unsatisfied() -> bool:
    return bool(getattr(settings, "ZHILI_REOPEN_ON_UNSATISFIED", True))


def reopen_limit() -> int:
    return int(getattr(settings, "ZHILI_REOPEN_LIMIT", 2))


def duplicate_radius_degrees() -> float:
    return float(getattr(settings, "ZHILI_DUPLICATE_RADIUS_DEGREES", 0.003))


def duplicate_window_days() -> int:
    return int(getattr(settings, "ZHILI_DUPLICATE_WINDOW_DAYS", 30))


def duplicate_threshold() -> float:
    return float(getattr(settings, "ZHILI_DUPLICATE_THRESHOLD", 0.8))


DESCRIPTION_MAX_CHARACTERS = 4000  # the Open311 limit, used for every channel
DUPLICATE_CANDIDATE_LIMIT = 40
