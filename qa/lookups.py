"""What answering looks things up in, owned by one `Assistant` (no module-level state): the cited
files as they are now, each text's BM25 terms and idf, and, remembered, each document's context
and each path as shown."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path

from index.documents.chunking import TITLE_SEPARATOR
from index.documents.dates import DATE, TOP_CHARS, date_in_text, date_in_title, dated
from index.documents.lines import Span
from index.documents.read import display_path
from index.parses import Parses
from index.store import FileRecord
from index.terms import TermCache
from qa.site import own_title, site_title_parts
from qa.sources import SourceFiles, SourceText

REMEMBERED_DOCUMENTS = 100_000  # document contexts and shown paths kept (least recently used go first)


def date_limit(source: SourceText) -> int:
    """Where a document's date line may end: its first prose paragraph (or its first 500 characters)."""
    blocks = source.blocks
    return blocks[0].end if blocks else min(len(source.text), 500)


def document_date(source: SourceText) -> Span | None:
    """The document's date: the first date before or in its first paragraph."""
    date = DATE.search(source.text, 0, date_limit(source))
    return Span(date.start(), date.end()) if date else None


def _document_context(path: str, title: str, text: str, limit: int) -> str:
    date = DATE.search(text, 0, limit)
    span = (date.start(), date.end()) if date else None
    if span is None and (line := date_in_text(text[: min(limit, TOP_CHARS)])) and line.span:  # "January 2004"
        span = (line.span.start, line.span.end)
    stem = Path(path).stem.replace("-", " ").replace("_", " ")
    return " ".join(part for part in (stem, title, text[span[0] : span[1]] if span else "") if part)


def _date_of(path: str, title: str, head: str, recorded: str | None) -> str | None:
    """A passage's date: that of the nearest heading above it that has one ("Releases › 1.0.0 (2015-05-15)
    › Fixed"), else its document's as the ingest recorded it (`recorded`: ISO, "" undated), else, for an
    index that did not record it, found now."""
    parts = title.split(TITLE_SEPARATOR)
    for section in reversed(parts[1:] or parts):  # (a title with no section: the title, as the ingest reads it)
        found = date_in_title(section)
        if found:
            return found.iso
    if recorded is None:  # an index that did not record it
        recorded = dated(head, Path(path).name, title)
    return recorded or None


def _shown_in(directory: str, path: str) -> str:
    return display_path(path)  # relative to `directory`, the working directory it is remembered for


class Lookups:
    """The files, terms and idf an assistant answers from, and what it remembers of its documents."""

    def __init__(self, files: SourceFiles, terms: TermCache, idf: Callable[[str], float],
                 file_records: Callable[[], Mapping[str, FileRecord]] = dict, parses: Parses | None = None) -> None:
        self.files = files
        self.parses = parses  # each text's entities and relations, read by the English model at ingest
        self._file_records = file_records  # each file's date and title as the ingest recorded them, read on first use
        self._dates_read: dict[str, str | None] | None = None
        self._site: frozenset[str] | None = None
        self.terms = terms
        self.idf = idf
        self._contexts = lru_cache(maxsize=REMEMBERED_DOCUMENTS)(_document_context)
        self._shown = lru_cache(maxsize=REMEMBERED_DOCUMENTS)(_shown_in)
        self._dates = lru_cache(maxsize=REMEMBERED_DOCUMENTS)(_date_of)

    def _read_records(self) -> None:
        records = self._file_records()
        self._dates_read = {source: record.date for source, record in records.items()}
        self._site = site_title_parts(record.title for record in records.values())

    def site_title_parts(self) -> frozenset[str]:
        """The parts of titles that are the site's, not a page's (`site_title_parts`), case-folded."""
        if self._site is None:
            self._read_records()
        return self._site  # type: ignore[return-value]

    def document_context(self, source: SourceText, path: str, title: str) -> str:
        """What a document says about all of its sentences: its file name, its title (without what every
        page of its site carries: `own_title`) and its date line (the first date before or in its first
        paragraph)."""
        return self._contexts(path, own_title(title, self.site_title_parts()), source.text, date_limit(source))

    def date_of(self, source: SourceText, path: str, title: str) -> str | None:
        """The date of a passage of `path` titled `title`: its section's date, else its document's
        (`index.documents.dates`: a dateline, a date line near the top, the title, the file name); None: undated."""
        if self._dates_read is None:
            self._read_records()
        return self._dates(path, title, source.text[:TOP_CHARS], self._dates_read.get(path))  # type: ignore[union-attr]

    def people(self, source: SourceText, start: int, end: int) -> list[Span] | None:
        """The people the model named within `start`..`end` of `source` (offsets from `start`), or None when
        the index keeps no parse of it (made before parses were kept, or without the model)."""
        parse = self.parses.get(source.sha256) if self.parses is not None and source.sha256 else None
        if parse is None:
            return None
        return [Span(e.start - start, e.end - start) for e in parse.entities_in(start, end) if e.label == "PERSON"]

    def shown_path(self, path: str) -> str:
        """`display_path`, remembered for each working directory (asking for it costs a system call)."""
        return self._shown(os.getcwd(), path)
