"""Frozen data classes of the cases app that other apps may import."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

_TIMES = ("created_from", "created_to")


@dataclass(frozen=True)
class CaseFilter:
    """Which cases: the one filter of the case list and its export, the API, triage, KPIs, rankings,
    rollups and the command center. Every field left at its default narrows nothing.

    ``area_paths``, ``department_id`` and ``category_id`` are the dimensions the dashboard's daily rollup
    also holds (:attr:`rollup_answerable`); the others narrow individual cases.
    """

    area_paths: tuple[str, ...] = ()
    department_id: int | None = None
    category_id: int | None = None
    grid_id: int | None = None
    status: str = ""
    channel: str = ""
    sla_state: str = ""
    text: str = ""
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    open_only: bool = False
    confidence_below: float | None = None

    @property
    def rollup_answerable(self) -> bool:
        """Whether only the rollup's dimensions are narrowed (so the rollup can answer a count)."""
        return (self.grid_id is None and not (self.status or self.channel or self.sla_state or self.text)
                and self.created_from is None and self.created_to is None and not self.open_only
                and self.confidence_below is None)

    def as_json(self) -> dict[str, Any]:
        """The filter as JSON values (an export job keeps it in its progress file)."""
        values: dict[str, Any] = dataclasses.asdict(self)
        values["area_paths"] = list(self.area_paths)
        for name in _TIMES:
            values[name] = values[name].isoformat() if values[name] else None
        return values

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> CaseFilter:
        """The filter :meth:`as_json` wrote (a job written before a field existed leaves it at its default)."""
        times = {name: dt.datetime.fromisoformat(values[name]) if values.get(name) else None for name in _TIMES}
        return cls(**{**values, **times, "area_paths": tuple(values.get("area_paths", ()))})
