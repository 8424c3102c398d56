"""The browser tour's crawler: one signed-in Chromium context per role visits every page its navigation
reaches (the navigation's links and, one level down, one link of each kind found on those pages) in both
languages, and measures each page at 1,280 px and at 390 px: the document's width, axe-core's WCAG 2
A/AA violations, and (in English) the Han characters it shows that are not data.

What a tour finds is a list of :class:`Finding`; the tests in ``test_tour.py`` assert on them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import polib
from django.apps import apps
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.conftest import sign_in

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
LANGUAGES = ("zh-hans", "en")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# Links the tour does not open: downloads and exports (not pages), the admin's own inner pages (Django's),
# the language switch and sign-out (forms), media and attachments (files).
SKIPPED_LINK = re.compile(
    r"(export|download|\.xlsx|\.xls|\.docx|\.pdf|\.csv|\.geojson|\.json|/media/|/attachments/|/i18n/|"
    r"/accounts/logout|^/admin/.+|format=)", re.IGNORECASE)
# A link's kind: its path with every number, case number and code replaced, without its query.
NUMBERED = re.compile(r"/[^/]*\d[^/]*")

# The page's own text a reader sees, and the attributes a screen reader reads out.
PAGE_TEXT_SCRIPT = """() => {
  const parts = [document.title, document.body ? document.body.innerText : ""];
  document.querySelectorAll("[aria-label],[placeholder],[title],[alt]").forEach((element) => {
    ["aria-label", "placeholder", "title", "alt"].forEach((name) => {
      const value = element.getAttribute(name); if (value) { parts.push(value); }
    });
  });
  return parts.join("\\n");
}"""
# After a change of window size: two frames, so the resize handlers (charts redrawn to the new width) have run.
SETTLE_SCRIPT = "() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))"
WIDTH_SCRIPT = "() => Math.max(document.documentElement.scrollWidth, document.body ? document.body.scrollWidth : 0)"
# ``skipMain``: the page's <main> is byte for byte one already checked at this width in this language (another
# role sees the same content): axe checks the rest of the document (the frame, the document-level rules) only.
AXE_RUN_SCRIPT = """async ([tags, skipMain]) => {
  const context = skipMain ? {exclude: [["main"]]} : document;
  const result = await axe.run(context, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((violation) => ({
    id: violation.id, impact: violation.impact, help: violation.help,
    targets: violation.nodes.slice(0, 5).map((node) => node.target.join(" ")),
    count: violation.nodes.length,
  }));
}"""
MAIN_SCRIPT = """() => { const main = document.querySelector("main");
  return main ? main.outerHTML.replace(/name="csrfmiddlewaretoken" value="[^"]*"/g, "") : ""; }"""
LINKS_SCRIPT = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter((a) => !a.hasAttribute("download") && a.getAttribute("href") && !a.getAttribute("href").startsWith("#"))
  .map((a) => a.getAttribute("href"))"""


@dataclass(frozen=True)
class View:
    role: str
    path: str
    language: str
    viewport: str


@dataclass
class Finding:
    """What one visit of one page measured."""

    view: View
    status: int
    document_width: int = 0
    viewport_width: int = 0
    violations: list[dict[str, object]] = field(default_factory=list)
    han_outside_data: list[str] = field(default_factory=list)
    came_from: str = ""


@dataclass
class Tour:
    findings: list[Finding] = field(default_factory=list)
    refused_links: list[str] = field(default_factory=list)
    # (language, viewport, digest of <main>) already checked by axe in full
    checked_mains: set[tuple[str, str, str]] = field(default_factory=set)
    mains_shared: int = 0

    @property
    def views(self) -> int:
        return len(self.findings)


def link_kind(path: str) -> str:
    return NUMBERED.sub("/#", urlsplit(path).path)


def context_for(browser: Browser, base_url: str) -> BrowserContext:
    context = browser.new_context(base_url=base_url, viewport=DESKTOP, locale="zh-CN")
    context.add_init_script(path=str(AXE_SCRIPT))
    context.set_default_timeout(30_000)
    context.set_default_navigation_timeout(60_000)
    return context


def language_set(context: BrowserContext, base_url: str, language: str) -> None:
    context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])


def han_outside(text: str, *, data_text: str) -> list[str]:
    """The runs of Han characters in ``text`` that no stored value contains (interface text left Chinese)."""
    return sorted({run for run in HAN.findall(text) if run not in data_text})


def catalogue_han_runs() -> list[str]:
    """The Han text the English catalogues keep on purpose (headers a file must carry, address examples)."""
    runs = []
    for app_config in apps.get_app_configs():
        if app_config.name.startswith("zhili."):
            for path in sorted((Path(app_config.path) / "locale").glob("en/LC_MESSAGES/*.po")):
                for entry in polib.pofile(str(path)):
                    for text in [entry.msgstr, *entry.msgstr_plural.values()]:
                        runs.extend(HAN.findall(text))
    return runs


def _same_site_paths(page: Page, hrefs: Iterable[str]) -> list[str]:
    origin = urlsplit(page.url)
    paths = []
    for href in hrefs:
        absolute = urlsplit(urljoin(page.url, href))
        if absolute.netloc != origin.netloc or absolute.scheme not in ("http", "https"):
            continue
        path = absolute.path + (f"?{absolute.query}" if absolute.query else "")
        if not SKIPPED_LINK.search(path):
            paths.append(path)
    return paths


def _measure(page: Page, tour: Tour, view: View, status: int, *, data_text: str, came_from: str) -> Finding:
    finding = Finding(view=view, status=status, came_from=came_from)
    finding.viewport_width = VIEWPORTS[view.viewport]["width"]
    finding.document_width = int(page.evaluate(WIDTH_SCRIPT))
    main_key = (view.language, view.viewport, hashlib.sha256(str(page.evaluate(MAIN_SCRIPT)).encode()).hexdigest())
    skip_main = main_key in tour.checked_mains
    tour.mains_shared += skip_main
    finding.violations = list(page.evaluate(AXE_RUN_SCRIPT, [AXE_TAGS, skip_main]))
    tour.checked_mains.add(main_key)
    if view.language == "en":
        finding.han_outside_data = han_outside(str(page.evaluate(PAGE_TEXT_SCRIPT)), data_text=data_text)
    return finding


def _visit(page: Page, tour: Tour, *, role: str, path: str, language: str, data_text: str,
           came_from: str) -> bool:
    """Open ``path`` once and measure it at both widths; False when it is not a page that answered."""
    page.set_viewport_size(DESKTOP)
    response = page.goto(path, wait_until="load")
    status = response.status if response is not None else 0
    if status == 403:
        tour.refused_links.append(f"{role}: {path} (linked from {came_from or 'the navigation'}) answers 403")
    if "text/html" not in (response.headers.get("content-type", "") if response is not None else ""):
        return False
    for viewport_name, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        page.evaluate(SETTLE_SCRIPT)
        view = View(role=role, path=path, language=language, viewport=viewport_name)
        tour.findings.append(_measure(page, tour, view, status, data_text=data_text, came_from=came_from))
    return status == 200


def role_tour(browser: Browser, base_url: str, tour: Tour, *, role: str, password: str | None,
              start_paths: list[str], data_text: str) -> None:
    """One role (``password`` None: a visitor who is not signed in) in one shared context, both languages."""
    context = context_for(browser, base_url)
    try:
        page = context.new_page()
        if password is not None:
            sign_in(page, role, password)
        for language in LANGUAGES:
            language_set(context, base_url, language)
            page.goto(start_paths[0])
            navigation = _same_site_paths(page, page.evaluate(LINKS_SCRIPT, "nav.mainnav a, .brand"))
            pages = list(dict.fromkeys(start_paths + navigation))
            seen_kinds = {link_kind(path) for path in pages}
            inner: list[tuple[str, str]] = []
            for path in pages:
                if not _visit(page, tour, role=role, path=path, language=language, data_text=data_text,
                              came_from=""):
                    continue
                for link in _same_site_paths(page, page.evaluate(LINKS_SCRIPT, "main a")):
                    kind = link_kind(link)
                    if kind not in seen_kinds:
                        seen_kinds.add(kind)
                        inner.append((link, path))
            for link, came_from in inner:
                _visit(page, tour, role=role, path=link, language=language, data_text=data_text,
                       came_from=came_from)
    finally:
        context.close()
