"""A site's name in its pages' titles: the prefix or suffix that most titles of a folder's documents share
("1. Scope — Foo 3.11 documentation", "2. Setup — Foo 3.11 documentation") is not part of any one title."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

TITLE_SEPARATORS = (" — ", " – ", " - ", " | ", " · ", " :: ", " » ", ": ")


def split_title(title: str) -> list[tuple[str, str]]:
    """Every (prefix, suffix) cut of a title at a separator: "A — Site 3" gives ("A", " — Site 3")."""
    cuts = []
    for separator in TITLE_SEPARATORS:
        start = title.find(separator)
        while start > 0:
            cuts.append((title[:start], title[start:]))
            start = title.find(separator, start + 1)
    return cuts


def site_affixes(titles: list[str]) -> tuple[str, str]:
    """The prefix and the suffix that most of `titles` share at a separator (a site's name, "—
    developers-reference 12.18 documentation"): each must be held by at least half of them and by
    two or more; ("", "") for none."""
    if len(titles) < 2:
        return "", ""
    needed = max(2, (len(titles) + 1) // 2)
    suffixes: dict[str, int] = {}
    prefixes: dict[str, int] = {}
    for title in set(titles):
        count = titles.count(title)
        for head, tail in split_title(title):
            suffixes[tail] = suffixes.get(tail, 0) + count
            separator = next(s for s in TITLE_SEPARATORS if tail.startswith(s))
            prefixes[head + separator] = prefixes.get(head + separator, 0) + count
    suffix = max((s for s, n in suffixes.items() if n >= needed), key=len, default="")
    prefix = max((p for p, n in prefixes.items() if n >= needed), key=len, default="")
    return prefix, suffix


def without_affixes(title: str, affixes: tuple[str, str]) -> str:
    """`title` less the site's prefix and suffix; a title that is nothing but them is kept whole."""
    prefix, suffix = affixes
    trimmed = title
    if suffix and trimmed.endswith(suffix):
        trimmed = trimmed[: -len(suffix)]
    if prefix and trimmed.startswith(prefix):
        trimmed = trimmed[len(prefix) :]
    return trimmed.strip() or title


@lru_cache(maxsize=64)
def _folder_affixes(folder: Path, suffixes: tuple[str, ...], read_title: Callable[[Path], str],
                    _changed: int) -> tuple[str, str]:
    documents = sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes and p.is_file())
    return site_affixes([title for document in documents if (title := read_title(document))])


def folder_affixes(path: Path, read_title: Callable[[Path], str]) -> tuple[str, str]:
    """The site's prefix and suffix that the titles of the documents of `path`'s format in its folder share
    (`read_title` reads one; read once per folder and change of it)."""
    folder = path.parent
    suffixes = (".html", ".htm") if path.suffix.lower() in (".html", ".htm") else (path.suffix.lower(),)
    try:
        return _folder_affixes(folder, suffixes, read_title, folder.stat().st_mtime_ns)
    except OSError:
        return "", ""
