"""Cited files' canonical texts, to check every passage against the file it cites.

A file's text is the one the index kept for its bytes at ingest (`index.texts`): the file is hashed,
and the text kept for that hash is read from the index, so no extractor is imported to answer. A file
that changed since has no text kept for its new bytes: it is extracted again, as is a file of an index
made before texts were kept, and a passage must still be in it at `[start, end)`; one that is not is
reported stale, never misquoted.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from config.errors import UnreadableFile
from index.documents.chunking import document_blocks
from index.documents.formats import Extracted
from index.documents.lines import Span, line_of, wrap_width
from index.documents.read import display_path, file_sha256, read_document
from index.documents.sentences import split_sentences
from index.terms import NUMBER_TOKEN, normal_words, numbers_said
from qa.passages import Citation

if TYPE_CHECKING:
    from index.texts import CanonicalTexts

MAX_SOURCE_CHARS = 10**9  # re-reading a cited file: the index already applied the size limit


@dataclass
class SourceText:
    """A file's current canonical text with its blocks and their sentences, computed once."""

    text: str
    blocks: list[Span]
    _sentences: dict[int, list[Span]] = field(default_factory=dict)
    extracted: Extracted | None = None
    sha256: str = ""
    _words: str | None = None  # the text as `normal_words` makes it, padded with spaces (made on first use)
    _numbers: frozenset[str] | None = None  # the numbers the text names, each whole (made on first use)
    _lines: frozenset[str] | None = None  # its lines with a letter or digit, stripped (made on first use)

    @property
    def lines(self) -> frozenset[str]:
        """The text's lines that hold a letter or digit, stripped, each once."""
        if self._lines is None:
            self._lines = frozenset(line.strip() for line in self.text.splitlines() if any(c.isalnum() for c in line))
        return self._lines

    def mentions(self, words: str) -> bool:
        """Whether the document says `words` anywhere, as whole words, case and accents aside; a number
        only as itself or as a release of it (`numbers_said`: "3.12" is not in "3.8.12", nor "2" in "2.100")."""
        if NUMBER_TOKEN.fullmatch(words.strip()):
            if self._numbers is None:
                self._numbers = frozenset(numbers_said(self.text))
            return NUMBER_TOKEN.fullmatch(words.strip()).group(1) in self._numbers  # type: ignore[union-attr]
        wanted = normal_words(words)
        if not wanted:
            return True
        if self._words is None and self.text.isascii():  # no accents to take off: search the text itself
            # (a document read whole into words costs about 3 ms per 100 KB, once; a search, a tenth of that)
            pattern = r"(?<!\w)" + r"\W+".join(map(re.escape, wanted.split())) + r"(?!\w)"
            return re.search(pattern, self.text, re.IGNORECASE) is not None
        if self._words is None:
            self._words = f" {normal_words(self.text)} "
        return f" {wanted} " in self._words

    def is_code(self, span: Span) -> bool:
        """Whether `span` lies in a code block, a synopsis or a command line of the document."""
        return self.extracted is not None and self.extracted.in_code(span.start, span.end)

    def block_of(self, offset: int) -> int | None:
        for index, block in enumerate(self.blocks):
            if block.start <= offset < block.end:
                return index
        return None

    def sentences(self, block: int) -> list[Span]:
        if block not in self._sentences:
            span = self.blocks[block]
            self._sentences[block] = split_sentences(self.text, span.start, span.end, wrap_width(self.text))
        return self._sentences[block]

    def citation(self, shown: str, path: str, start: int, end: int, date: str | None = None) -> Citation:
        """The citation of `[start, end)` (`shown`: the path as a person types it): its line, and for
        a paged format its page and the line on that page; `date`: its document's."""
        page, line = (None, line_of(self.text, start)) if self.extracted is None else self.extracted.place_of(start)
        return Citation(shown, path, line, start, end, page, date)


def load_source(path: str, texts: CanonicalTexts | None = None, sha256: str | None = None) -> SourceText:
    """A file's canonical text: the one the index keeps for its bytes (`texts`; `sha256` when known), else
    extracted again: the file changed since it was indexed, or its index kept no texts (raises
    UnreadableFile)."""
    document = texts.document(Path(path), sha256) if texts is not None else None
    document = document or read_document(Path(path), MAX_SOURCE_CHARS)
    return SourceText(document.text, document_blocks(document.extracted), extracted=document.extracted,
                      sha256=document.sha256)


class SourceFiles:
    """Cited files, read from the texts the index keeps for their bytes: each look-up hashes the file, so an
    edit that keeps the size and the modification time (`cp -p`, `touch -r`, a coarse clock) is
    seen too, and a passage is never quoted from a text the file no longer holds. Within one
    question (`new_question`) a file is hashed once, however many of its chunks are read."""

    def __init__(self, texts: CanonicalTexts | None = None) -> None:
        self.texts = texts  # the texts the index keeps (index.texts), by the SHA-256 of the file's bytes
        self._cache: dict[str, tuple[str, SourceText | None]] = {}
        self._checked: set[str] = set()  # hashed since the question began

    def new_question(self) -> None:
        """Look at every file afresh: what was checked for an earlier question may have changed."""
        self._checked.clear()

    def get(self, path: str) -> SourceText | None:
        """The file's text, or None when it is gone or unreadable."""
        cached = self._cache.get(path)
        if cached and path in self._checked:
            return cached[1]
        try:
            digest = file_sha256(Path(path))
        except OSError:
            self._cache.pop(path, None)
            return None
        self._checked.add(path)
        if cached and cached[0] == digest:
            return cached[1]
        try:
            source: SourceText | None = load_source(path, self.texts, digest)
        except UnreadableFile:
            source = None
        self._cache[path] = (digest, source)
        return source

    def verify(self, path: str, start: int, end: int, text: str) -> bool:
        """Whether `path` still holds exactly `text` at `[start, end)`."""
        source = self.get(path)
        return source is not None and source.text[start:end] == text


def stale_line(source: str) -> str:
    """Why a cited file's passages were left out, and the step that mends it: it changed (`qa
    ingest` refreshes it), it is gone (`qa ingest` drops it), or it can no longer be read (a binary
    file, say, where a re-ingest would only skip it again)."""
    shown = display_path(source)
    if not os.path.exists(source):
        return f"{shown} is gone since it was indexed; its passages were left out (run `qa ingest` to drop it)"
    try:
        load_source(source)
    except UnreadableFile as error:
        if error.kind == "no text layer":  # a scan, read by OCR at ingest: `qa ingest` reads it again
            return (f"{shown} changed since it was indexed; its passages were left out "
                    "(run `qa ingest` to refresh it)")
        return (f"{shown} can no longer be read ({error.problem}); its passages were left out "
                "(restore it, or remove it and run `qa ingest` to drop it)")
    # passages of its unchanged parts are still shown, each checked word for word: only the others are left out
    return (f"{shown} changed since it was indexed; passages no longer in it were left out "
            "(run `qa ingest` to refresh it)")


def page_marked(source: SourceText, offsets: list[int]) -> tuple[str, list[int]]:
    """The text as the source viewer shows it: a rule line "──── page N ────" where each page
    (after the first) begins, and `offsets` moved to match."""
    pages = source.extracted.pages[1:] if source.extracted is not None else ()
    if not pages:
        return source.text, offsets
    parts: list[str] = []
    inserted: list[tuple[int, int]] = []  # (offset in the text, characters inserted before it)
    cursor, added = 0, 0
    for number, start in enumerate(pages, start=2):
        parts.append(source.text[cursor:start])
        mark = ("" if start == 0 or source.text[start - 1] == "\n" else "\n") + f"──── page {number} ────\n"
        parts.append(mark)
        added += len(mark)
        inserted.append((start, added))
        cursor = start
    parts.append(source.text[cursor:])
    moved = [offset + max((n for start, n in inserted if start <= offset), default=0) for offset in offsets]
    return "".join(parts), moved
