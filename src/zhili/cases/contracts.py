"""Frozen data classes of the cases app that other apps may import."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CaseFilter:
    """Which cases a figure counts: one or more area subtrees (path prefixes), a department, a category,
    a grid; empty = every case. The one scope of KPIs, rankings, rollups and the command center."""

    area_paths: tuple[str, ...] = ()
    department_id: int | None = None
    category_id: int | None = None
    grid_id: int | None = None
