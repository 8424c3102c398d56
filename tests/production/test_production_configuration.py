"""The production configuration as a district runs it, in a browser.

``make serve`` (DEBUG off, gunicorn, the job workers, collected hashed assets; PostgreSQL and Redis in
the PostgreSQL run, the embedded SQLite database and queue in the SQLite run) behind the nginx site of
``deploy/nginx`` on 127.0.0.1 with a self-signed certificate. Chromium files a report over HTTPS, a
dispatcher signs in and dispatches it (both CSRF-protected forms), and every stylesheet and script of
every page answers 200. Then the server is stopped the way an operator stops it (SIGTERM to make serve).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Response

from tests.browser.conftest import screenshot
from tests.production.deploy_files import NGINX, nginx_configuration
from tests.reliability.harness import GRID_POINTS, REPOSITORY_DIR, Deployment, deployment, free_port
from tests.reliability.server_script import PASSWORD

pytestmark = pytest.mark.browser


@contextlib.contextmanager
def _process(arguments: list[str], environment: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(arguments, cwd=REPOSITORY_DIR, env=environment, stdout=output,  # noqa: S603
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@contextlib.contextmanager
def _serving(arguments: list[str], environment: dict[str, str], log: Path,
             pid_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    """make serve; whatever happens, its gunicorn and job workers (each in a session of its own) end too."""
    try:
        with _process(arguments, environment, log) as process:
            yield process
    finally:
        with contextlib.suppress(FileNotFoundError):
            for pid in (int(line) for line in pid_file.read_text().split()):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, *, timeout: float = 900) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"make serve ended ({process.returncode}):\n{log.read_text()[-4000:]}")
        with contextlib.suppress(httpx.HTTPError):
            response = httpx.get(url, verify=False, timeout=5)  # noqa: S501 - our self-signed certificate
            if response.status_code == 200:
                return response
        time.sleep(0.5)
    raise AssertionError(f"{url} not ready in {timeout} s:\n{log.read_text()[-4000:]}")


def _serve_environment(installation: Deployment, port: int) -> dict[str, str]:
    # The harness collected the assets with `zhili collectstatic` (once per test run); make serve finds them
    # up to date and serves them (the refusal without them is tested in tests/security).
    environment = dict(installation.environment)
    environment.update({"ZHILI_HTTPS": "1", "ZHILI_PROXY_SSL_HEADER": "1", "ZHILI_WEB_WORKERS": "2",
                        "ZHILI_JOB_WORKERS": "2", "ZHILI_ALLOWED_HOSTS": "127.0.0.1,localhost",
                        "ZHILI_LOG_LEVEL": "INFO", "MAKEFLAGS": ""})
    return environment


def _watch_assets(page: Page, responses: list[Response], failures: list[str]) -> None:
    page.on("response", lambda response: responses.append(response))
    page.on("response", lambda response: failures.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    page.on("pageerror", lambda error: failures.append(f"script error: {error}"))


def test_make_serve_behind_nginx_serves_every_page_with_its_assets_over_https(tmp_path: Path, browser: Browser) -> None:
    redis_url = os.environ.get("ZHILI_TEST_REDIS_URL", "") if os.environ.get("DATABASE_URL", "").startswith(
        "postgres") else ""
    with deployment(tmp_path, redis_url=redis_url) as installation:
        keys = installation.seed()
        city_department = str(keys["department_ids"][0])
        app_port, http_port, https_port = free_port(), free_port(), free_port()
        environment = _serve_environment(installation, app_port)
        static_root = Path(environment["ZHILI_STATIC_ROOT"])
        nginx_dir = tmp_path / "nginx"
        nginx_dir.mkdir()
        nginx_conf = nginx_configuration(nginx_dir, http_port=http_port, https_port=https_port,
                                         upstream_port=app_port, static_root=static_root)
        base = f"https://127.0.0.1:{https_port}"
        serve_log = tmp_path / "serve.log"
        with _process([NGINX, "-c", str(nginx_conf), "-p", str(nginx_dir), "-g", "daemon off;"], environment,
                      tmp_path / "nginx.log"), \
             _serving(["make", "--no-print-directory", "serve", "HOST=127.0.0.1", f"PORT={app_port}"], environment,
                      serve_log, installation.data_dir / "serve.pids") as serve:
            ready = _wait_ready(f"{base}/readyz", serve, serve_log)
            checks = ready.json()["checks"]
            assert {name: checks[name]["status"] for name in ("database", "queue", "static")} == {
                "database": "ok", "queue": "ok", "static": "ok"}
            assert checks["database"]["vendor"] == ("postgresql" if installation.database_url else "sqlite")
            assert ready.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"

            # plain HTTP is sent to HTTPS; a foreign Host is refused by the application
            redirect = httpx.get(f"http://127.0.0.1:{http_port}/accounts/login/", follow_redirects=False)
            assert (redirect.status_code, redirect.headers["Location"]) == (
                301, "https://127.0.0.1/accounts/login/")
            foreign = httpx.get(f"{base}/accounts/login/", headers={"Host": "evil.example"}, verify=False)  # noqa: S501
            assert foreign.status_code == 400

            responses: list[Response] = []
            failures: list[str] = []
            context = browser.new_context(base_url=base, ignore_https_errors=True, locale="zh-CN",
                                          viewport={"width": 1366, "height": 768})
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.set_default_navigation_timeout(90_000)
            _watch_assets(page, responses, failures)

            # a citizen files a report (anonymous, CSRF-protected form)
            page.goto("/cases/report/")
            page.fill("[data-longitude]", str(GRID_POINTS[0][0]))
            page.fill("[data-latitude]", str(GRID_POINTS[0][1]))
            # no matter keyword matches: the case waits in triage instead of being dispatched automatically
            page.fill("#description", "小区东门的路灯坏了好几天，晚上很黑")
            page.fill("#reporter_phone", "13912345678")
            page.click("form.mobile-form button[type=submit]")
            page.wait_for_load_state()
            screenshot(page, "production-01-report-done")
            assert page.locator("strong.code").count() == 1, page.locator("main").inner_text()
            tracking_code = (page.locator("strong.code").text_content() or "").strip()
            assert len(tracking_code) == 12

            # the dispatcher signs in over HTTPS and dispatches it to 城管局
            page.goto("/accounts/login/")
            screenshot(page, "production-02-login")
            page.fill("#id_username", "h-dispatcher")
            page.fill("#id_password", PASSWORD)
            page.click("form button[type=submit]")
            page.wait_for_url(lambda url: "/accounts/login/" not in url)
            page.goto("/cases/triage/")
            row = page.locator("tr", has_text="路灯坏了").first
            number = (row.locator("a").first.text_content() or "").strip()
            assert len(number) == 14
            screenshot(page, "production-03-triage")
            row.locator("select[name=department]").select_option(city_department)
            row.locator("button[type=submit]").click()
            page.wait_for_load_state()
            page.goto(f"/cases/{number}/")
            detail = page.locator("main").inner_text()
            assert "已派单" in detail
            assert "城管局" in detail
            screenshot(page, "production-04-case-detail")
            context.close()

            assert failures == []
            assets = [response for response in responses if "/static/" in response.url]
            asset_paths = sorted({response.url.split(base, 1)[1] for response in assets})
            assert all(response.status == 200 for response in assets)
            for name in ("core/zhili", "vendor/htmx/htmx.min"):
                assert any(path.startswith(f"/static/{name}.") for path in asset_paths), asset_paths
            # hashed names from the manifest, served by nginx with a year's cache
            assert all(len(path.rsplit("/", 1)[1].split(".")) >= 3 for path in asset_paths), asset_paths
            css = httpx.get(f"{base}{next(p for p in asset_paths if p.endswith('.css'))}", verify=False)  # noqa: S501
            assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"

            metrics = httpx.get(f"{base}/metrics", verify=False,  # noqa: S501
                                headers={"Authorization": f"Bearer {environment['ZHILI_METRICS_TOKEN']}"})
            assert metrics.status_code == 200
            assert 'zhili_http_responses_total{status_class="2xx"}' in metrics.text
            assert "zhili_http_server_errors_total 0.0" in metrics.text
            assert httpx.get(f"{base}/metrics", verify=False).status_code == 403  # noqa: S501

            # an operator stops it: SIGTERM to make serve; gunicorn and both job workers end cleanly
            pids = [int(line) for line in (installation.data_dir / "serve.pids").read_text().split()]
            assert len(pids) == 3
            os.killpg(serve.pid, signal.SIGTERM)
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
                time.sleep(0.5)
            assert [pid for pid in pids if _alive(pid)] == []
            log = serve_log.read_text()
            assert log.count("Consumer exiting.") == 2  # Huey stopped gracefully (SIGINT), not killed
            assert "Shutting down: Master" in log
            errors = [line for line in log.splitlines() if '"level": "ERROR"' in line]
            # the one expected: the request with Host: evil.example above
            assert [line for line in errors if '"logger": "django.security.DisallowedHost"' not in line] == []
            assert len(errors) == 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
