"""Frozen data classes the projects app shares with its pages, its imports and other apps."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong in an uploaded file: the row as Excel numbers it, the column, what to do."""

    row: int
    field: str
    message: str

    def text(self) -> str:
        return f"第{self.row}行“{self.field}”：{self.message}"


@dataclass(frozen=True)
class ImportReport:
    """An all-or-nothing import's outcome: nothing was written unless ``problems`` is empty."""

    rows: int
    imported: int
    problems: tuple[RowProblem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class DispatchFilter:
    """The 调度 page's filter; empty fields do not narrow."""

    level: str = ""
    kind: str = ""
    department_id: int | None = None
    light: str = ""
    stage: str = ""
    leader_id: int | None = None
