"""Reading cited files back, to check every passage against the file it cites."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from index.chunking import Span, prose_blocks, split_sentences


@dataclass
class SourceText:
    """A file's current text with its prose blocks and their sentences, computed once."""

    text: str
    blocks: list[Span]
    _sentences: dict[int, list[Span]] = field(default_factory=dict)

    def block_of(self, offset: int) -> int | None:
        for index, block in enumerate(self.blocks):
            if block.start <= offset < block.end:
                return index
        return None

    def sentences(self, block: int) -> list[Span]:
        if block not in self._sentences:
            span = self.blocks[block]
            self._sentences[block] = split_sentences(self.text, span.start, span.end)
        return self._sentences[block]


class SourceFiles:
    """Cited files, re-read only when their size or modification time changes."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple[int, int], SourceText | None]] = {}

    def get(self, path: str) -> SourceText | None:
        """The file's text, or None when it is gone or unreadable."""
        try:
            stat = os.stat(path)
        except OSError:
            return None
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(path)
        if cached and cached[0] == key:
            return cached[1]
        try:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8")
            source: SourceText | None = SourceText(text, prose_blocks(text))
        except (OSError, UnicodeDecodeError):
            source = None
        self._cache[path] = (key, source)
        return source

    def verify(self, path: str, start: int, end: int, text: str) -> bool:
        """Whether `path` still holds exactly `text` at `[start, end)`."""
        source = self.get(path)
        return source is not None and source.text[start:end] == text
