"""The front-end libraries' files the pages use, found in node_modules (installed from the npm registry).

Only the files listed in ``settings.ZHILI_VENDOR_STATIC_FILES`` are served and collected — not the
46 MB of every build variant in ``echarts/dist`` (collecting those took a minute and 139 MB).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, overload

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Warning
from django.core.files.storage import FileSystemStorage


class VendorFileFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.files: dict[str, Path] = {name: Path(path) for name, path in settings.ZHILI_VENDOR_STATIC_FILES.items()}

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        return [Warning(f"前端库文件 {path} 不存在：请运行 npm ci（或 make setup）。 / {path} is missing: run npm ci.",
                        id="zhili.W005") for path in self.files.values() if not path.is_file()]

    @overload
    def find(self, path: str, find_all: Literal[False] = False) -> str | None: ...

    @overload
    def find(self, path: str, find_all: Literal[True]) -> list[str]: ...

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str] | None:
        found = self.files.get(path)
        if found is None or not found.is_file():
            return [] if find_all else None
        return [str(found)] if find_all else str(found)

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for name, path in self.files.items():
            if not path.is_file():
                continue
            storage = FileSystemStorage(location=str(path.parent))
            storage.prefix = name.rsplit("/", 1)[0]  # type: ignore[attr-defined]
            yield path.name, storage
