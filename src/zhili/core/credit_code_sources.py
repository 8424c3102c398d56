"""Credit-code sources for the 亩均 evaluation: apps name enterprises (by 统一社会信用代码) it must see.

The projects app registers the owners of its finished industrial projects in its ``AppConfig.ready()``;
the enterprises app reads every source when it evaluates. The registry sits in core because the two
apps are on one layer and import neither each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

CreditCodeFunction = Callable[[], list[str]]


@dataclass(frozen=True)
class CreditCodeSource:
    name: str
    label: str  # what the codes are, shown beside the evaluation (e.g. 竣工工业项目业主)
    codes: CreditCodeFunction


_REGISTRY: dict[str, CreditCodeSource] = {}


def credit_code_source_register(name: str, label: str, codes: CreditCodeFunction) -> None:
    """Register (or replace) the source ``name``; ``codes()`` returns the credit codes it names."""
    _REGISTRY[name] = CreditCodeSource(name=name, label=label, codes=codes)


def credit_code_source_unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def credit_code_sources() -> list[CreditCodeSource]:
    return sorted(_REGISTRY.values(), key=lambda source: source.name)
