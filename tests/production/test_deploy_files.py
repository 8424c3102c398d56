"""deploy/: the nginx site passes ``nginx -t``; the systemd units pass ``systemd-analyze verify``."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.production.deploy_files import NGINX, nginx_configuration, systemd_units
from tests.reliability.harness import free_port


def test_the_nginx_site_is_valid(tmp_path: Path) -> None:
    configuration = nginx_configuration(tmp_path, http_port=free_port(), https_port=free_port(),
                                        upstream_port=free_port(), static_root=tmp_path / "static")
    completed = subprocess.run([NGINX, "-t", "-c", str(configuration), "-p", str(tmp_path)],  # noqa: S603
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    assert "test is successful" in completed.stderr


def test_the_systemd_units_are_valid(tmp_path: Path) -> None:
    units = systemd_units(tmp_path)
    assert [unit.name for unit in units] == ["zhili-web.service", "zhili-worker.service", "zhili-worker@1.service"]
    completed = subprocess.run(["systemd-analyze", "verify", *map(str, units)],  # noqa: S603, S607
                               capture_output=True, text=True, timeout=120, check=False)
    # verify only warns (exit 0) about an unknown directive or a bad signal name: no output at all is the bar
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "", "")
    web = (tmp_path / "zhili-web.service").read_text()
    worker = (tmp_path / "zhili-worker.service").read_text()
    assert "KillSignal=SIGINT" in worker
    assert "ExecStart=" in web
    assert "run_huey --no-periodic" in (tmp_path / "zhili-worker@1.service").read_text()
