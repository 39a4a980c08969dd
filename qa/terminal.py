"""An answer as a terminal shows it (`qa ask`, and `qa mcp`'s text): styled, wrapped, with what comes
from a document made harmless; the words about the answer come from `qa.render`."""

from __future__ import annotations

import os
import textwrap
from typing import TextIO

from index.documents.lines import ITEM
from index.terminal import visible_record
from qa.passages import Answer, Passage
from qa.render import also_in, date_of, dated, headline, lead_line, read_as
from qa.sources import stale_line
from qa.timeline import Timeline


class Style:
    """ANSI styling for a terminal, nothing otherwise (or with NO_COLOR set)."""

    def __init__(self, stream: TextIO) -> None:
        self.on = stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.on else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def answer(self, text: str) -> str:
        return self._wrap("1;33", text) if self.on else f"**{text}**"

    def cite(self, text: str) -> str:
        return self._wrap("36", text)


def render_answer(answer: Answer, style: Style, width: int) -> str:
    """An answer as a person reads it in a terminal: what comes from a document (or the question) with
    its control characters shown (`visible_record`), then styled."""
    answer = visible_record(answer)
    out: list[str] = []
    if answer.reworded:
        out.append(style.dim(f"({read_as(answer)})"))
    if said := headline(answer):
        out.append(style.bold(said))
    for source in answer.stale:  # first: the answer below was made without them
        out.append(style.bold(stale_line(source)))
    if answer.timeline is not None:
        out.append(_render_timeline(answer.timeline, style, width))
    for number, passage in enumerate(answer.passages, start=1):
        out.append(_render_passage(number, passage, style, width, dim=answer.abstained))
    return "\n".join(out)


def _render_timeline(timeline: Timeline, style: Style, width: int) -> str:
    """The lead line, then each run of one answer: the answer, then its dates and citations."""
    out = [style.bold(lead_line(timeline))]
    for run in timeline.runs:
        cited = ", ".join(f"{style.dim(entry.date + ' ·')} {style.cite(entry.citation.label)}" for entry in run.entries)
        out.append(f"   {style.answer(run.answer)} — {cited}")
    return "\n".join(out)


def _render_passage(number: int, passage: Passage, style: Style, width: int, dim: bool) -> str:
    head = f"{number}. {style.dim(date_of(passage.citation) + ' ·')} {style.cite(passage.citation.label)}"
    if passage.title:
        head += "\n   " + style.dim(passage.title)
    body, offsets = passage.readable()
    if offsets is not None and not dim:
        a, b = offsets
        body = body[:a] + "\x00" + body[a:b] + "\x00" + body[b:]
    # a list item keeps its own line, its text hung under its mark
    lines = [wrapped for line in body.split("\n") for wrapped in textwrap.wrap(
        line, width=max(40, width - 3), break_on_hyphens=False,
        subsequent_indent="  " if ITEM.match(line) else "")]
    text = "\n".join("   " + line for line in lines)
    if "\x00" in text:
        first, middle, last = text.split("\x00", 2)
        text = first + style.answer(middle) + last
    if dim:
        text = style.dim(text)
    out = [head, text]
    for other in passage.also_in:
        out.append("   " + style.dim(also_in(other)) + style.cite(other.label))
    if passage.dated is not None:
        where = passage.dated.citation
        out.append("   " + style.dim(dated(passage.dated) + " ") + style.cite(where.label))
    return "\n".join(out)
