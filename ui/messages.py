"""What the widgets ask the app to do: one small message per action (they bubble up to `QAApp`)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.widget import Widget

from qa.passages import Citation, Passage


@dataclass(eq=False)
class OpenPassage(Message):
    """Show the source of an answer's passage; `card` is the card it was opened from."""

    passage: Passage
    card: Widget | None = None


@dataclass(eq=False)
class OpenCitation(Message):
    """Show a cited file at its place (an "also in" or "dated" citation)."""

    citation: Citation


@dataclass(eq=False)
class CopyCitation(Message):
    """Copy `file:line` of a citation to the clipboard."""

    citation: Citation


@dataclass(eq=False)
class Reindex(Message):
    """Re-index files that changed since they were indexed, and reopen the index."""

    sources: list[str]
