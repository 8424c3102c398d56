"""Demo: build the dashboard rollups once, so the demo dashboards read them straight away."""

from __future__ import annotations

from typing import TextIO

from zhili.dashboard.services import case_rollup_rebuild


def load_demo(*, seed: int, stdout: TextIO) -> None:
    case_rollup_rebuild()
    stdout.write("  dashboard rollups rebuilt")
