"""`qa show CITATION`: the cited passage with the text around it, from the file's canonical text."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from config.errors import QAError, UnreadableFile
from index.documents.chunking import TITLE_SEPARATOR
from index.documents.read import display_path, fingerprint
from index.store import FileRecord, Store
from index.texts import CanonicalTexts
from qa.sources import load_source

CITATION = re.compile(r"^(?P<path>.+?):(?:p(?P<page>\d+):)?(?P<line>\d+)$")
CONTEXT_LINES = 2  # lines of the canonical text shown before and after the cited one


class BadCitation(QAError):
    """A citation that does not parse or names nothing in the index."""


@dataclass(frozen=True)
class ShownText:
    """A cited line with the lines around it, as `qa show` prints them.

    source: the file as a person types it; lines: the cited line marked "> ", the others "  ", a
    page break as a rule "──── page 4 ────"; from_index: the file is not on this machine (or not
    readable here), so the lines are the index's own chunks of it."""

    source: str
    title: str
    page: int | None
    line: int
    lines: tuple[str, ...]
    from_index: bool = False

    @property
    def heading(self) -> str:
        """The line above the text: the file and its title."""
        note = " (the file is not on this machine: text as indexed)" if self.from_index else ""
        return f"{self.source} · {self.title}{note}"

    @property
    def cited(self) -> str:
        """The cited line (and the lines of its chunk, from the index) without the marks."""
        return "\n".join(line[2:] for line in self.lines if line.startswith("> "))

    def to_json(self) -> dict[str, object]:
        """The shown text as JSON, with the cited line apart."""
        return {"source": self.source, "title": self.title, "page": self.page, "line": self.line,
                "cited": self.cited, "lines": list(self.lines), "from_index": self.from_index}


@dataclass(frozen=True)
class Cited:
    """A parsed citation: the path as typed, the page (paged formats) and the line."""

    path: str
    page: int | None
    line: int


def parse_citation(text: str) -> Cited:
    """`notes.txt:25` or `report.pdf:p3:12` (raises BadCitation)."""
    found = CITATION.match(text.strip())
    if not found:
        raise BadCitation(f"citation {text!r}: expected FILE:LINE or FILE:pPAGE:LINE, e.g. report.pdf:p3:12")
    page = found.group("page")
    return Cited(found.group("path"), int(page) if page else None, int(found.group("line")))


def find_record(store: Store, path: str) -> FileRecord:
    """The indexed file a citation's path names: the same absolute path, else the one indexed file
    whose path ends with it (an index built on another machine, through a Chroma server). A path that
    climbs out of this folder ("../notes.txt") names that file only, never one that merely ends alike."""
    records = store.file_records()
    absolute = os.path.abspath(path)
    if absolute in records:
        return records[absolute]
    normal = os.path.normpath(path)  # "./a.txt" is "a.txt"; ".notes/a.txt" keeps its folder
    climbs = normal == os.pardir or normal.startswith(os.pardir + os.sep)
    tail = "/" + normal.lstrip("/")
    matches = [] if climbs else [r for s, r in records.items() if s.endswith(tail)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise BadCitation(f"{path} names {len(matches)} indexed files: give more of the path")
    raise BadCitation(f"{path} is not in the index at {store.location}: `qa ingest` it first")


def _window(text: str, offset: int) -> tuple[int, int, int, int]:
    """(start, end) of the lines shown around `offset`, and (start, end) of the cited line."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    start, end = line_start, line_end
    for _ in range(CONTEXT_LINES):
        start = text.rfind("\n", 0, max(0, start - 1)) + 1 if start > 0 else 0
        following = text.find("\n", end + 1)
        end = len(text) if following < 0 or end >= len(text) else following
    return start, end, line_start, line_end


def render(text: str, offset: int, pages: tuple[int, ...]) -> list[str]:
    """The lines around `offset`, the cited one marked with `>`, page breaks marked as rules (a
    page that begins inside a line, a sentence running on from the page before, cuts it there)."""
    start, end, _, _ = _window(text, offset)
    out: list[str] = []
    position = start
    for line in text[start:end].split("\n"):
        finish = position + len(line)
        marker = "> " if position <= offset <= finish else "  "
        cursor = position
        for number, page_start in enumerate(pages[1:], start=2):
            if position <= page_start < finish or (page_start == position and not line):
                if text[cursor:page_start].strip():
                    out.append(marker + text[cursor:page_start].strip())
                out.append(f"──── page {number} ────")
                cursor = page_start
        if text[cursor:finish].strip() or cursor == position:
            out.append((marker + text[cursor:finish].strip()).rstrip())
        position = finish + 1
    return out


def show(citation_text: str, store: Store) -> ShownText:
    """The cited text and what is around it, for `qa show`: from the file when it is here and
    unchanged, else from the index's own chunks of it (raises BadCitation)."""
    cited = parse_citation(citation_text)
    record = find_record(store, cited.path)
    shown = display_path(record.source)
    if Path(record.source).is_file():
        try:
            current = fingerprint(Path(record.source))
        except UnreadableFile as problem:
            raise BadCitation(str(problem)) from None
        if current != (record.sha256, record.extractor):
            raise BadCitation(f"{shown} changed since it was indexed: run `qa ingest` to refresh it, then ask again")
        source = load_source(record.source, CanonicalTexts(store), current[0])
        extracted = source.extracted
        assert extracted is not None
        if cited.page is not None and not extracted.pages:
            raise BadCitation(f"{shown} has no pages: cite its line alone, {cited.path}:{cited.line}")
        offset = extracted.offset_of(cited.page, cited.line)
        if offset is None or (cited.page is not None and not 1 <= cited.page <= len(extracted.pages)):
            where = f"page {cited.page}, line {cited.line}" if cited.page is not None else f"line {cited.line}"
            pages = len(extracted.pages)
            raise BadCitation(f"{shown} has no {where} ({pages or 'no'} page{'' if pages == 1 else 's'}, "
                              f"{extracted.text.count(chr(10)) + 1} lines of text)")
        # the title the index gave it (its folder's site name left out), else the extracted one
        title = record.title.split(TITLE_SEPARATOR)[0] or extracted.title
        return ShownText(shown, title, cited.page, cited.line, tuple(render(extracted.text, offset, extracted.pages)))
    return _from_index(store, record, cited)


def _from_index(store: Store, record: FileRecord, cited: Cited) -> ShownText:
    """The indexed chunks around the cited line, when the file is not on this machine."""
    got = store.chunks.get(where={"source": store.paths.stored(record.source)}, include=["documents", "metadatas"])
    chunks = sorted(zip(got["metadatas"], got["documents"], strict=True), key=lambda pair: int(pair[0]["start"]))
    if not chunks:
        raise BadCitation(f"{record.source}: no text of it in the index")
    # chunk lines count the canonical text's lines; a page citation's line is found by the nearest chunk
    best = min(range(len(chunks)), key=lambda i: abs(int(chunks[i][0]["line"]) - cited.line))
    shown = chunks[max(0, best - 1) : best + 2]
    lines = tuple(f"{'> ' if meta is chunks[best][0] else '  '}{' '.join(text.split())}" for meta, text in shown)
    return ShownText(record.source, record.title, cited.page, cited.line, lines, from_index=True)
