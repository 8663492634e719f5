"""Static files taken from npm packages (node_modules, installed by `npm ci`), one file at a time.

STATICFILES_DIRS would publish a package's whole dist folder (ECharts' is 51 MB of builds and source maps);
this finder serves only the files named in the setting NPM_STATIC_FILES, {static path: path under
node_modules} (the static path keeps the file's name), so `collectstatic` copies those and nothing else.
A file missing (npm ci not run) is simply not found: the pages that use it still work, their tables
standing in for the charts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage


class NpmFileFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.root = Path(settings.NPM_ROOT)
        self.files: dict[str, str] = dict(settings.NPM_STATIC_FILES)

    def _present(self) -> dict[str, str]:
        return {path: source for path, source in self.files.items() if (self.root / source).is_file()}

    def check(self, **kwargs: Any) -> list:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:  # type: ignore[override]
        source = self._present().get(path)
        if source is None:
            return [] if find_all else ""
        found = str(self.root / source)
        return [found] if find_all else found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for path, source in self._present().items():
            # collectstatic copies storage.open(source) to `path`: a storage rooted at the file's folder,
            # its prefix the static path's folder, names the file as the static path does
            folder = (self.root / source).parent
            storage = FileSystemStorage(location=str(folder))
            storage.prefix = str(Path(path).parent)  # type: ignore[attr-defined]
            yield Path(source).name, storage
