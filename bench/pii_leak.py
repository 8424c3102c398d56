"""Personal-data leak crawl: 1,000 cases with phones, landlines, ID numbers, bank cards and names in
varied written forms, then every page, API route, Open311 endpoint and export, fetched as each role
without the personal-data permission and as an anonymous visitor; unmasked occurrences are counted.

Same-run baseline: the same crawl as the dispatcher (who may see personal data) must find the planted
values — proof that the crawler reaches the outputs and that the oracle recognises a leak.

Every URL pattern of the URLconf is crawled with GET; its parameters are filled from the data made
here (case numbers, attachment ids, export job ids, hot-issue runs, …). Patterns it cannot fill are
listed on stderr and counted (``patterns_not_crawled``).

Usage: ``.venv/bin/python bench/pii_leak.py [--cases 1000] [--database-url URL]`` (SQLite in a
temporary directory by default). Prints progress to stderr and one JSON line to stdout.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench_environment import bench_environment_set, bench_static_collect

REPOSITORY = Path(__file__).resolve().parents[1]


def _log(message: str) -> None:
    print(f"[bench/pii_leak] {message}", file=sys.stderr, flush=True)


def _setup(database_url: str) -> None:
    data_dir = tempfile.mkdtemp(prefix="zhili-bench-pii-")
    os.environ["ZHILI_DATA_DIR"] = data_dir
    bench_environment_set()
    os.environ["ZHILI_HUEY_IMMEDIATE"] = "1"  # exports and hot-issue runs finish inside the request
    os.environ["ZHILI_LOG_LEVEL"] = "CRITICAL"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path[:0] = [str(REPOSITORY / "src"), str(REPOSITORY)]
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    bench_static_collect()  # pages render with the hashed names production serves
    import logging

    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # every refusal would be a line
    call_command("migrate", verbosity=0)


class Oracle:
    """Finds planted values in text: digit cores inside digit runs, names by exact substring."""

    def __init__(self, planted: list[Any]) -> None:
        self.digit_cores: dict[str, list[str]] = {}
        self.names: set[str] = set()
        for item in planted:
            if item.kind == "name":
                self.names.add(item.core)
            else:
                core = item.core.upper()
                self.digit_cores.setdefault(core[:6], []).append(core)
        self.name_lengths = sorted({len(name) for name in self.names})
        self._separators = re.compile(r"[\s\-+().（）]")
        self._runs = re.compile(r"[0-9X]{7,}")
        self._full_width = str.maketrans("０１２３４５６７８９", "0123456789")

    def leaks(self, text: str) -> list[str]:
        found: list[str] = []
        flattened = self._separators.sub("", text.translate(self._full_width)).upper()
        for run in self._runs.findall(flattened):
            for start in range(len(run) - 6):
                for core in self.digit_cores.get(run[start:start + 6], ()):
                    if run.startswith(core, start):
                        found.append(core)
        for length in self.name_lengths:
            for start in range(len(text) - length + 1):
                if text[start:start + length] in self.names:
                    found.append(text[start:start + length])
        return found


def _office_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
                       if name.endswith((".xml", ".rels")))


def _body_text(response: Any) -> str:
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    if content[:2] == b"PK":
        try:
            return _office_text(content)
        except zipfile.BadZipFile:
            return ""
    text = content.decode("utf-8", "replace")
    if "json" in response.get("Content-Type", ""):
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text
    return text


def _make_world(case_count: int, seed: int) -> dict[str, Any]:
    from tests.authorization.world import POINT_EAST, POINT_WEST, world_create
    from tests.security.pii_forms import planted_text

    from zhili.accounts.models import User
    from zhili.accounts.roles import Role
    from zhili.cases.models import CaseChannel
    from zhili.cases.services.intake import IntakeRequest, case_intake
    from zhili.cases.services.lifecycle import TransitionDetails, case_transition
    from zhili.core import clock

    world = world_create()
    world.users["leader_district"] = User.objects.create_user(
        username="pii-leader-district", password=None, role=Role.LEADER, display_name="区领导")
    rng = random.Random(seed)
    planted: list[Any] = []
    numbers: list[str] = []
    channels = [CaseChannel.HOTLINE, CaseChannel.CITIZEN_APP, CaseChannel.PATROL, CaseChannel.API,
                CaseChannel.IMPORT, CaseChannel.OPEN311]
    admin = world.users[Role.ADMIN]
    citizen = world.users[Role.CITIZEN]
    for index in range(case_count):
        text, values = planted_text(rng, items=rng.choice((2, 3, 4)))
        address, address_values = planted_text(rng, items=1)
        planted += values + address_values
        point = POINT_WEST if index % 2 == 0 else POINT_EAST
        channel = channels[index % len(channels)]
        case = case_intake(request=IntakeRequest(
            channel=channel, description=text, title=text[:40], address_text=address[:120],
            longitude=point[0] + rng.uniform(-0.01, 0.01), latitude=point[1] + rng.uniform(-0.01, 0.01),
            reporter_name="".join(rng.sample("王李张刘陈杨黄赵", 1)) + "某", reporter_phone=f"139{index:08d}",
            matter_code=rng.choice(("M001", "M003")), confidential=index % 17 == 0,
            created_at=clock.now() if channel == CaseChannel.IMPORT else None,
        ), actor=citizen if index % 10 == 0 else None, dispatch_automatically=False).case
        numbers.append(case.number)
        stage = index % 5
        if stage >= 1:
            note, note_values = planted_text(rng, items=1)
            planted += note_values
            department = world.department_city if case.matter and case.matter.code == "M001" \
                else world.department_environment
            case_transition(case_id=case.pk, action="dispatch", actor=admin,
                            details=TransitionDetails(department_id=department.pk, note=note))
        if stage >= 2:
            case_transition(case_id=case.pk, action="accept", actor=admin)
        if stage >= 3:
            reply, reply_values = planted_text(rng, items=1)
            planted += reply_values
            case_transition(case_id=case.pk, action="reply", actor=admin, details=TransitionDetails(note=reply))
        if stage >= 4:
            comment, comment_values = planted_text(rng, items=1)
            planted += comment_values
            case_transition(case_id=case.pk, action="follow_up", actor=admin, details=TransitionDetails(
                rating="satisfied", resolved=True, note=comment))
    _photos_attach(numbers[:8])
    return {"world": world, "planted": planted, "numbers": numbers}


def _photos_attach(numbers: list[str]) -> None:
    """Photos with EXIF (GPS, camera) on a few cases, so attachment downloads are crawled too."""
    from PIL import Image

    from zhili.cases.models import Case
    from zhili.cases.services.attachments import attachments_build, photos_validate
    from zhili.core import clock

    image = Image.new("RGB", (40, 30), (30, 90, 160))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 43.0, 30.0), 3: "E", 4: (119.0, 55.0, 30.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    content = buffer.getvalue()
    for case in Case.objects.filter(number__in=numbers):
        photos = photos_validate([("photo.jpg", io.BytesIO(content), len(content))])
        attachments_build(case=case, photos=photos, kind="photo", uploaded_by_id=None, at=clock.now())


def _fillers(made: dict[str, Any]) -> dict[str, list[str]]:
    """Values for each URL parameter name the crawler knows."""
    from zhili.cases.models import Case, CaseAttachment
    from zhili.geo.models import Area, AreaLevel
    from zhili.indicators.models import Indicator, Plan
    from zhili.textintel.models import ClassifierModel, HotIssueRun

    numbers = made["numbers"]
    sample = numbers[:: max(1, len(numbers) // 60)]
    grids = list(Area.objects.filter(level=AreaLevel.GRID).values_list("pk", "code"))
    return {
        "code": [code for _pk, code in grids],
        "grid_id": [str(pk) for pk, _code in grids],
        "service_code": ["M001", "M003"],
        "plan_id": [str(pk) for pk in Plan.objects.values_list("pk", flat=True)],
        "indicator_id": [str(pk) for pk in Indicator.objects.values_list("pk", flat=True)[:5]],
        "model_id": [str(pk) for pk in ClassifierModel.objects.values_list("pk", flat=True)[:3]],
        "number": sample,
        "service_request_id": sample,
        "attachment_id": [str(pk) for pk in CaseAttachment.objects.values_list("pk", flat=True)[:10]],
        "file_format": ["docx", "xlsx"],
        "fmt": ["json", "xml"],
        "run_id": [str(pk) for pk in HotIssueRun.objects.values_list("pk", flat=True)[:3]],
        "token": list(Case.objects.filter(number__in=sample[:5]).values_list("tracking_code", flat=True)),
        "case_id": [str(pk) for pk in Case.objects.filter(number__in=sample).values_list("pk", flat=True)],
    }


def _patterns() -> Iterator[tuple[str, list[str]]]:
    """(route template with <name> placeholders, parameter names) for every URL pattern."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(resolver: URLResolver, prefix: str) -> Iterator[tuple[str, list[str]]]:
        for entry in resolver.url_patterns:
            route = prefix + _route_of(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry, route)
            elif isinstance(entry, URLPattern):
                yield route, re.findall(r"<(?:\w+:)?(\w+)>", route)

    yield from walk(get_resolver(), "/")


def _route_of(pattern: Any) -> str:
    text = str(pattern)
    if hasattr(pattern, "regex") and text.startswith("^"):  # a regex pattern: named groups → <name>
        text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", text.lstrip("^").rstrip("$"))
        text = text.replace("\\.", ".").replace("\\Z", "")
    return text


def _urls(fillers: dict[str, list[str]], pattern_list: list[tuple[str, list[str]]],
          numbers: list[str]) -> tuple[list[str], list[str]]:
    urls: list[str] = []
    skipped: list[str] = []
    for route, names in pattern_list:
        if route.startswith(("/admin/", "/i18n/", "/static/", "/media/")) or "accounts/logout" in route:
            continue
        if any(name not in fillers or not fillers[name] for name in names):
            skipped.append(route)
            continue
        if not names:
            urls.append(route)
            continue
        # every value of the first parameter, the first value of the others (keeps the crawl linear)
        first, *rest = names
        for value in fillers[first]:
            url = route.replace(f"<{first}>", value)
            for name in rest:
                url = url.replace(f"<{name}>", fillers[name][0])
            url = re.sub(r"<\w+:(\w+)>", lambda match: match.group(0), url)
            urls.append(url)
    # lists: every page, so every case passes through a list output at least once
    urls += [f"/cases/?page={page}" for page in range(1, len(numbers) // 50 + 2)]
    urls += [f"/api/v1/cases/?limit=200&offset={offset}" for offset in range(0, len(numbers) + 200, 200)]
    urls += ["/open311/v2/requests.json?page_size=1000", "/open311/v2/requests.xml?page_size=1000",
             "/open311/v2/requests.json?extensions=true&page_size=1000",
             f"/open311/v2/requests.json?service_request_id={','.join(numbers[:50])}",
             "/cases/export.xlsx", "/dashboard/leader/export.xlsx", "/dashboard/leader/report.xlsx",
             "/cases/map/", "/cases/track/?code=" + fillers["token"][0] if fillers["token"] else "/cases/track/"]
    return urls, skipped


def _export_urls(client: Any) -> list[str]:
    """The viewer's own case-list export: start it (the job runs at once here), then its page and file."""
    started = client.get("/cases/export.xlsx")
    location = started.get("Location", "") if started.status_code == 302 else ""
    return [location, f"{location}file/"] if location else []


def _crawl(client: Any, urls: list[str], oracle: Oracle) -> tuple[int, int, list[tuple[str, str]]]:
    checked = leaks = 0
    examples: list[tuple[str, str]] = []
    for url in [*urls, *_export_urls(client)]:
        response = client.get(url, follow=True)
        if response.status_code >= 500:
            examples.append((url, f"HTTP {response.status_code}"))
        if response.status_code != 200:
            continue
        text = _body_text(response)
        found = oracle.leaks(text)
        checked += 1
        leaks += len(found)
        if found and len(examples) < 20:
            examples.append((url, found[0]))
    return checked, leaks, examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--database-url", default="")
    arguments = parser.parse_args()
    _setup(arguments.database_url)

    from django.test import Client
    from django.test.utils import setup_test_environment

    from zhili.accounts.roles import Role
    from zhili.textintel.services import hot_issue_run_queue_from_cases

    setup_test_environment()
    started = time.perf_counter()
    made = _make_world(arguments.cases, arguments.seed)
    world = made["world"]
    _log(f"{arguments.cases} cases, {len(made['planted'])} planted values in {time.perf_counter() - started:.1f} s")
    for role in (Role.ADMIN, Role.LEADER):
        hot_issue_run_queue_from_cases(actor_id=world.users[role].pk, days=90)
    oracle = Oracle(made["planted"])
    pattern_list = list(_patterns())
    urls, skipped = _urls(_fillers(made), pattern_list, made["numbers"])
    for route in skipped:
        _log(f"not crawled (no value for its parameters): {route}")
    viewers: dict[str, Any] = {}
    for role in ("leader", "leader_district", Role.GRID_WORKER, Role.CITIZEN, Role.PLANNER, Role.ANALYST):
        client = Client()
        client.force_login(world.users[role])
        viewers[str(role)] = client
    viewers["anonymous"] = Client()
    outputs = leaks = 0
    examples: list[tuple[str, str, str]] = []
    for name, client in viewers.items():
        checked, found, role_examples = _crawl(client, urls, oracle)
        outputs += checked
        leaks += found
        examples += [(name, url, value) for url, value in role_examples]
        _log(f"{name}: {checked} outputs, {found} unmasked values")
    for name, url, value in examples[:20]:
        _log(f"LEAK {name} {url}: {value}")
    baseline_client = Client()
    baseline_client.force_login(world.users[Role.DISPATCHER])
    baseline_checked, baseline_found, _examples = _crawl(baseline_client, urls, oracle)
    _log(f"baseline dispatcher (may see personal data): {baseline_checked} outputs, {baseline_found} values found")
    print(json.dumps({
        "cases": arguments.cases, "planted_values": len(made["planted"]), "outputs_checked": outputs,
        "leaks": leaks, "roles": sorted(viewers), "urls_per_role": len(urls),
        "patterns_not_crawled": len(skipped),
        "baseline_role": "dispatcher", "baseline_outputs_checked": baseline_checked,
        "baseline_values_found": baseline_found, "seconds": round(time.perf_counter() - started, 1),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
