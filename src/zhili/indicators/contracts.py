"""Frozen data classes of the indicators app that its modules and other apps share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ObservationInput:
    indicator_id: int
    year: int
    value: float | None = None
    qualitative_status: str = ""
    quarter: int = 0
    source: str = ""
    evidence: str = ""
    note: str = ""
