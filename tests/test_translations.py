"""A complete English interface: every string the code and the templates mark for translation has an English
translation in its app's catalogue, the catalogues compile, nothing marked in the sources is missing from
the committed catalogues (makemessages run into a scratch copy finds no new msgid), and an uncompiled
catalogue is a system check warning. The browser tour (``tests/tour``) checks every page of every role in
English for Han characters outside data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.tour.crawl import HAN, catalogue_han_runs
from zhili.cases.states import CaseStatus
from zhili.core.checks import uncompiled_catalogue_problems

SOURCE = Path(__file__).resolve().parents[1] / "src" / "zhili"
MSGFMT = shutil.which("msgfmt") or "/usr/bin/msgfmt"  # GNU gettext, which makemessages needs as well
APPS = sorted(path.parent.name for path in SOURCE.glob("*/apps.py"))
DOMAINS = ("django", "djangojs")


def _catalogues(root: Path = SOURCE) -> list[Path]:
    return sorted(root.glob("*/locale/en/LC_MESSAGES/*.po"))


def _missing(catalogue: Path) -> list[str]:
    entries = polib.pofile(str(catalogue))
    return [entry.msgid for entry in entries
            if not entry.obsolete and (not entry.translated() or "fuzzy" in entry.flags)]


def test_every_app_with_marked_strings_has_an_english_catalogue() -> None:
    with_catalogue = {path.parts[-5] for path in _catalogues()}
    assert with_catalogue >= {"accounts", "audit", "cases", "core", "dashboard", "enterprises", "geo",
                              "indicators", "textintel"}
    assert {path.stem for path in _catalogues()} == set(DOMAINS)  # the JS strings have their own catalogue


@pytest.mark.parametrize("catalogue", _catalogues(), ids=lambda path: "/".join(path.parts[-5::4]))
def test_every_entry_of_the_catalogue_is_translated(catalogue: Path) -> None:
    assert _missing(catalogue) == []


@pytest.mark.parametrize("catalogue", _catalogues(), ids=lambda path: "/".join(path.parts[-5::4]))
def test_the_catalogue_compiles_with_matching_placeholders(catalogue: Path, tmp_path: Path) -> None:
    # msgfmt --check refuses a translation whose %(name)s placeholders differ from the msgid's
    result = subprocess.run(  # noqa: S603 - GNU gettext's msgfmt on our own catalogue
        [MSGFMT, "--check-format", "--check-domain", "-o", str(tmp_path / "out.mo"), str(catalogue)],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def _untranslated_after_makemessages(copy: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Django's makemessages run over ``copy`` (a scratch copy of the sources): the msgids of each catalogue
    that have no English translation."""
    # every file's strings go to the catalogue of the app it is in (makemessages picks the nearest locale/)
    for directory in [copy, *(copy / app for app in APPS)]:
        (directory / "locale").mkdir(exist_ok=True)
    monkeypatch.chdir(copy)
    for domain in DOMAINS:
        call_command("makemessages", locale=["en"], domain=domain, no_location=True, ignore_patterns=["vendor/*"],
                     verbosity=0)
    assert list((copy / "locale").rglob("*.po")) == []  # no marked string outside an app
    untranslated = {f"{path.parts[-5]}/{path.name}": _missing(path) for path in _catalogues(copy)}
    return {name: msgids for name, msgids in untranslated.items() if msgids}


def _sources_copied(tmp_path: Path) -> Path:
    copy = tmp_path / "zhili"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "tests", "migrations"))
    return copy


def test_no_marked_string_is_missing_from_the_catalogues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A string marked in a template, in Python or in a script and not yet translated fails here."""
    assert _untranslated_after_makemessages(_sources_copied(tmp_path), monkeypatch) == {}


def test_a_newly_marked_string_without_a_translation_is_found(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    copy = _sources_copied(tmp_path)
    template = copy / "geo" / "templates" / "geo" / "map.html"
    template.write_text(template.read_text(encoding="utf-8") + '{% translate "新加的界面文字" %}\n', encoding="utf-8")
    script = copy / "cases" / "static" / "cases" / "cases.js"
    script.write_text(script.read_text(encoding="utf-8") + 'gettext("新加的脚本文字");\n', encoding="utf-8")
    assert _untranslated_after_makemessages(copy, monkeypatch) == {
        "geo/django.po": ["新加的界面文字"], "cases/djangojs.po": ["新加的脚本文字"]}


def test_an_edited_catalogue_that_is_not_compiled_is_a_system_check_warning(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    app_config = apps.get_app_config("core")
    messages = tmp_path / "locale" / "en" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    shutil.copy(Path(app_config.path) / "locale" / "en" / "LC_MESSAGES" / "django.po", messages / "django.po")
    monkeypatch.setattr(app_config, "path", str(tmp_path))
    [missing] = [problem for problem in uncompiled_catalogue_problems() if str(tmp_path) in problem]
    assert "没有编译好的 django.mo" in missing
    subprocess.run([MSGFMT, "-o", str(messages / "django.mo"), str(messages / "django.po")],  # noqa: S603
                   check=True)
    assert [problem for problem in uncompiled_catalogue_problems() if str(tmp_path) in problem] == []
    later = time.time() + 60
    os.utime(messages / "django.po", (later, later))
    [stale] = [problem for problem in uncompiled_catalogue_problems() if str(tmp_path) in problem]
    assert "比 django.mo 新" in stale


def test_the_installed_catalogues_are_compiled() -> None:
    assert uncompiled_catalogue_problems() == []


def test_python_messages_and_the_javascript_catalogue_speak_english(client: Client) -> None:
    with translation.override("en"):
        assert str(CaseStatus.DISPATCHED.label) == "Dispatched"
    client.cookies["django_language"] = "en"
    script = client.get(reverse("javascript-catalog")).content.decode()
    assert "Locating" in script  # 定位中…
    assert "Overdue by %s" in script  # 已超期 %s
    assert "function interpolate" in script or "interpolate =" in script


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["accounts:login", "cases:report", "cases:track", "cases:public_map"])
def test_a_public_page_in_english_shows_no_han_characters(client: Client, url_name: str) -> None:
    """The pages anyone opens without an account hold no data of their own here (an empty database): in
    English they show no Chinese at all, except the language switch's own name for Chinese and what the
    English catalogue keeps on purpose (an example address in the form's hint)."""
    client.cookies["django_language"] = "en"
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    han = set(HAN.findall(response.content.decode())) - {"简体中文", *catalogue_han_runs()}
    assert han == set()
