"""Running zhili's own commands the way a production installation runs them (no DEBUG, no test switch)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.reliability.harness import BIN_DIR, REPOSITORY_DIR, production_keys

DOCUMENTED_ENVIRONMENT = REPOSITORY_DIR / "deploy" / "zhili.env.example"


def production_environment(data_dir: Path, **overrides: str) -> dict[str, str]:
    """The process environment less every zhili variable, plus ``overrides`` (a value "" removes it)."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("ZHILI_", "DATABASE_URL", "REDIS_URL", "PYTEST_", "DJANGO_"))}
    environment["ZHILI_DATA_DIR"] = str(data_dir)
    environment.update(overrides)
    return {key: value for key, value in environment.items() if value != ""}


def documented_environment(data_dir: Path) -> dict[str, str]:
    """deploy/zhili.env.example with fresh keys, as docs/operations.md tells an operator to fill it in."""
    values = {}
    for line in DOCUMENTED_ENVIRONMENT.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            values[name] = value
    values.update(production_keys())
    values["ZHILI_DATA_DIR"] = str(data_dir)
    return production_environment(data_dir, **values)


def zhili(arguments: list[str], environment: dict[str, str], *, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN_DIR / "zhili"), *arguments], cwd=REPOSITORY_DIR, env=environment,  # noqa: S603
                          capture_output=True, text=True, timeout=timeout, check=False)


def settings_of(environment: dict[str, str], names: list[str]) -> dict[str, object]:
    """The values of ``names`` as ``zhili.config.settings`` computes them in ``environment``."""
    program = ("import json, sys\nfrom zhili.config import settings\n"
               f"print(json.dumps({{name: getattr(settings, name, None) for name in {names!r}}}, default=str))")
    completed = subprocess.run([sys.executable, "-c", program], cwd=REPOSITORY_DIR, env=environment,  # noqa: S603
                               capture_output=True, text=True, timeout=600, check=False)
    if completed.returncode != 0:
        raise AssertionError(completed.stderr)
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))
