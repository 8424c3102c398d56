from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from zhili.dashboard.models import DailyCaseRollup, RollupState
from zhili.dashboard.tasks import dashboard_rollup_rebuild_nightly, dashboard_rollup_refresh_recent
from zhili.dashboard.tests.factories import World

pytestmark = pytest.mark.django_db


def test_periodic_jobs_build_and_refresh_the_rollup(world_with_cases: World) -> None:
    dashboard_rollup_refresh_recent()
    assert RollupState.objects.get().refreshed_through == dt.date(2026, 3, 9)
    assert DailyCaseRollup.objects.count() == 4
    DailyCaseRollup.objects.all().delete()
    dashboard_rollup_rebuild_nightly()
    assert DailyCaseRollup.objects.count() == 4


def test_management_command_rebuilds_and_reports(world_with_cases: World) -> None:
    output = StringIO()
    call_command("dashboard_rollup", stdout=output)
    assert output.getvalue().strip() == "rollup 2026-02-15 .. 2026-03-09: 4 rows"
    output = StringIO()
    call_command("dashboard_rollup", "--recent", "3", stdout=output)
    assert output.getvalue().strip() == "rollup 2026-03-07 .. 2026-03-09: 1 rows"
