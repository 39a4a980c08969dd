"""The terminal assistant: ask the documents a question, read the cited passages, open the source.

    python tui.py [--index DIR|URL] [--top-k K]

The window opens at once; the index and the model load in a worker thread while the question box is
already usable (a question asked before they are ready waits, then runs). A missing index at the
default location is built from the bundled corpus, with a progress bar.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.events import Click, Key, Resize
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Button, Footer, Header, Input, Label, ProgressBar, Static
from textual.worker import get_current_worker

from index.documents import display_path
from index.errors import EmptyQuestion, IndexMissing, IndexOutdated, QAError, QuestionTooLong
from index.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from qa.passages import Answer, Citation, Passage

if TYPE_CHECKING:
    from index.embedding import Encoder
    from qa.engine import Assistant, Conversation

def _process_age() -> float:
    """Seconds since this process started (Linux; 0 elsewhere), to time the start-up from the very start."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


PROCESS_STARTED = time.perf_counter() - _process_age()
DEFAULT_CORPUS = PROJECT_ROOT / "corpus"
EXAMPLE_QUESTION = "when were talks suspended?"
HISTORY_LIMIT = 1000


# ---- history, citations, Markdown export -------------------------------------------------------------
def history_file(environ: dict[str, str] | None = None) -> Path:
    """Where asked questions are kept between runs: $XDG_STATE_HOME/qa/history."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "qa" / "history"


class History:
    """Questions asked before, oldest first, browsed with Up/Down like a shell's history."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: list[str] = self._load()
        self.position = len(self.entries)
        self.draft = ""

    def _load(self) -> list[str]:
        if self.path is None:
            return []
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return []
        return [line for line in lines if line.strip()][-HISTORY_LIMIT:]

    def add(self, question: str) -> None:
        """Remember `question` (not twice in a row) and save it."""
        self.position = len(self.entries)
        self.draft = ""
        if self.entries and self.entries[-1] == question:
            return
        self.entries.append(question)
        self.position = len(self.entries)
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if len(self.entries) > HISTORY_LIMIT:
                self.entries = self.entries[-HISTORY_LIMIT:]
                self.position = len(self.entries)
                self.path.write_text("\n".join(self.entries) + "\n", encoding="utf-8")
            else:
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(question + "\n")
        except OSError:
            pass  # history is a convenience: a read-only home only loses it

    def previous(self, current: str) -> str | None:
        if self.position == len(self.entries):
            self.draft = current
        if self.position == 0:
            return None
        self.position -= 1
        return self.entries[self.position]

    def next(self) -> str | None:
        if self.position >= len(self.entries):
            return None
        self.position += 1
        return self.draft if self.position == len(self.entries) else self.entries[self.position]


def cite(citation: Citation) -> str:
    """`file:line`, as a person would type it to open the file."""
    return f"{citation.source}:{citation.line}"


def index_label(settings: Settings) -> str:
    return settings.index if settings.is_remote else display_path(settings.index)


def score_bar(score: float, width: int = 8) -> tuple[str, str]:
    """A bar of `width` cells for a score in [0, 1], to half a cell: (filled part, empty track)."""
    halves = round(max(0.0, min(1.0, score)) * width * 2)
    bar = "━" * (halves // 2) + ("╸" if halves % 2 else "")
    return bar, "━" * (width - len(bar))


def _flat(text: str) -> str:
    """`text` with every whitespace character a space: same offsets, one paragraph."""
    return re.sub(r"\s", " ", text)


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#])", r"\\\1", text)


def answer_markdown(answer: Answer) -> str:
    """One answer as Markdown: the question, then each passage quoted with its citation."""
    out = [f"## {answer.question.strip()}", ""]
    if answer.query != answer.question:
        out += [f"*Read as: {_md_escape(answer.query)}*", ""]
    if answer.abstained:
        out += [f"**{_md_escape(answer.abstain_line('Closest passages, not an answer:'))}**", ""]
    elif answer.shortfall:
        out += [f"*{_md_escape(answer.caution_line())}*", ""]
    for passage in answer.passages:
        text = _flat(passage.text)
        if passage.answer is not None and not answer.abstained:
            a = passage.answer.start - passage.citation.start
            b = passage.answer.end - passage.citation.start
            quote = _md_escape(text[:a]) + "**" + _md_escape(text[a:b]) + "**" + _md_escape(text[b:])
        else:
            quote = _md_escape(text)
        out.append("> " + " ".join(quote.split()))
        out.append("")
        source = f"— {_md_escape(passage.title)}, " if passage.title else "— "
        also = "".join(f"; also in `{cite(c)}`" for c in passage.also_in)
        if passage.dated is not None:
            also += f"; dated {_md_escape(passage.dated.text)} (`{cite(passage.dated.citation)}`)"
        out += [f"{source}`{cite(passage.citation)}` (score {passage.score:.2f}){also}", ""]
    for source in answer.stale:
        out += [f"*`{display_path(source)}` changed since it was indexed; its passages were left out.*", ""]
    return "\n".join(out)


def conversation_markdown(answers: Sequence[Answer], settings: Settings, when: datetime) -> str:
    head = [
        "# Questions to the documents",
        "",
        f"Index `{index_label(settings)}`, exported {when:%Y-%m-%d %H:%M}.",
        "",
    ]
    return "\n".join(head + [answer_markdown(a) for a in answers]).rstrip() + "\n"


# ---- the status line ----------------------------------------------------------------------------
class StatusLine(Static):
    """What the app is doing (loading, indexing, ready, failed), with a spinner while it works."""

    FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__(text, markup=False, **kwargs)
        self.text = text
        self.busy = True
        self._frame = 0

    def on_mount(self) -> None:
        self._timer = self.set_interval(0.1, self._spin, pause=self.app.is_headless)

    def show(self, text: str, busy: bool) -> None:
        self.text, self.busy = text, busy
        moving = busy and not self.app.is_headless  # no motion in screenshots and tests
        self._timer.resume() if moving else self._timer.pause()
        self._spin()

    def _spin(self) -> None:
        if self.busy and not self.app.is_headless:
            self._frame = (self._frame + 1) % len(self.FRAMES)
            self.update(f"{self.FRAMES[self._frame]} {self.text}")
        else:
            self.update(self.text)


# ---- the conversation ----------------------------------------------------------------------------
_QUESTION_KEYS = [
    Binding("enter", "submit", "Ask"),
    Binding("up", "history(-1)", "History", key_display="↑↓"),
    Binding("down", "history(1)", "History", show=False),
    Binding("tab", "app.focus_answers", "Answers"),
    Binding("pageup", "app.scroll_conversation(-1)", "Scroll up", show=False),
    Binding("pagedown", "app.scroll_conversation(1)", "Scroll down", show=False),
]
_TAKEN = {binding.key for binding in _QUESTION_KEYS}


class QuestionInput(Input, inherit_bindings=False):
    """The question box: Enter asks, Up/Down walk the history, Tab goes to the answers."""

    # Our keys first (the footer shows bindings in this order), then the Input's own editing keys.
    BINDINGS: ClassVar[list[BindingType]] = [
        *_QUESTION_KEYS,
        *[b for b in Input.BINDINGS if isinstance(b, Binding) and not set(b.key.split(",")) & _TAKEN],
    ]

    def action_history(self, step: int) -> None:
        history: History = self.app.history  # type: ignore[attr-defined]
        text = history.previous(self.value) if step < 0 else history.next()
        if text is not None:
            self.value = text
            self.cursor_position = len(text)


class PassageText(Static):
    """A passage's text with its answer span highlighted (offsets are the file's)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"passage--answer"}

    def __init__(self, passage: Passage, highlight: bool) -> None:
        super().__init__(classes="passage-text")
        self.passage = passage
        self.highlight = highlight

    @property
    def answer_offsets(self) -> tuple[int, int] | None:
        answer, start = self.passage.answer, self.passage.citation.start
        if answer is None or not self.highlight:
            return None
        return answer.start - start, answer.end - start

    def render(self) -> Content:
        content = Content(_flat(self.passage.text))
        if (offsets := self.answer_offsets) is not None:
            content = content.stylize(".passage--answer", *offsets)
        return content


def fit_path(text: str, width: int) -> str:
    """`text` in `width` cells: a long path loses its start ("…/corpus/a.txt:25"), never its end."""
    return text if len(text) <= width or width < 2 else "…" + text[len(text) - width + 1 :]


class CitationLabel(Static):
    """`file:line` on one line, shortened from the left when the terminal is narrow."""

    def __init__(self, citation: Citation, prefix: str = "", classes: str = "") -> None:
        super().__init__(classes=classes)
        self.citation = citation
        self.prefix = prefix

    def render(self) -> Content:
        width = self.content_region.width or 80
        return Content.assemble((self.prefix, "$text-muted"), fit_path(cite(self.citation), width - len(self.prefix)))


class CitationLink(CitationLabel):
    """A clickable citation of another source ("also in"): opens that file at its place."""

    def on_click(self, event: Click) -> None:
        event.stop()
        self.app.open_citation(self.citation)  # type: ignore[attr-defined]


class PassageCard(Vertical, can_focus=True):
    """One passage of an answer: title, score, text with the answer marked, citation, other sources."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open"),
        Binding("c", "copy", "Copy cite"),
    ]

    def __init__(self, number: int, passage: Passage, dim: bool) -> None:
        super().__init__(classes="card -dim" if dim else "card")
        self.number = number
        self.passage = passage
        self.dim = dim

    def compose(self) -> ComposeResult:
        passage = self.passage
        bar, track = score_bar(passage.score)
        with Horizontal(classes="card-head"):
            yield Label(str(self.number), classes="card-number")
            yield Label(passage.title or Path(passage.citation.source).stem, classes="card-title", markup=False)
            yield Label(
                Content.assemble(
                    (bar, "$text-muted" if self.dim else "$accent"),
                    (track, "$panel-lighten-2"),
                    f" {passage.score:.2f}",
                ),
                classes="card-score",
            )
        yield PassageText(passage, highlight=not self.dim)
        yield CitationLabel(passage.citation, classes="card-citation")
        for other in passage.also_in:
            yield CitationLink(other, prefix="also in ", classes="card-also")
        if passage.dated is not None:
            yield CitationLink(passage.dated.citation, prefix=f"dated {passage.dated.text} · ", classes="card-also")

    def on_click(self, event: Click) -> None:
        self.focus()
        self.action_open()

    def action_open(self) -> None:
        self.app.open_passage(self.passage, self)  # type: ignore[attr-defined]

    def action_copy(self) -> None:
        self.app.copy_citation(self.passage.citation)  # type: ignore[attr-defined]


class StaleNotice(Horizontal):
    """A file that changed since it was indexed, with a button to re-index it."""

    def __init__(self, source: str, left_out: bool = True) -> None:
        super().__init__(classes="stale")
        self.source = source
        self.left_out = left_out

    def compose(self) -> ComposeResult:
        effect = "left out of this answer" if self.left_out else "this answer quotes the old text"
        what = "Changed" if os.path.exists(self.source) else "Gone"
        yield Static(
            Content.assemble((f"⚠ {what} since it was indexed; {effect}:\n", "bold"), display_path(self.source)),
            classes="stale-text",
        )
        yield Button("Re-index (r)", compact=True, classes="stale-button")

    @on(Button.Pressed)
    def _reindex(self, event: Button.Pressed) -> None:
        event.stop()
        self.app.reindex([self.source])  # type: ignore[attr-defined]


class Turn(Vertical):
    """One question and its answer (or, until it comes, what it is waiting for)."""

    def __init__(self, question: str, waiting: str) -> None:
        super().__init__(classes="turn")
        self.question = question
        self.waiting = waiting
        self.answer: Answer | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("› ", "$accent"), self.question), classes="question")
        yield Static(self.waiting, classes="pending")

    def set_waiting(self, text: str) -> None:
        for pending in self.query(".pending"):
            pending.update(text)  # type: ignore[attr-defined]

    def show_answer(self, answer: Answer) -> list[PassageCard]:
        self.answer = answer
        self.query(".pending").remove()
        widgets: list[Static | Horizontal | Vertical] = []
        if answer.query != answer.question:
            widgets.append(Static(f"read as: {answer.query}", classes="read-as", markup=False))
        if answer.abstained:
            widgets.append(
                Static(answer.abstain_line("The closest passages, not an answer:"), classes="abstain", markup=False)
            )
        elif answer.shortfall:
            widgets.append(Static(answer.caution_line(), classes="caution", markup=False))
        widgets += [StaleNotice(source) for source in answer.stale]  # first: the cards were made without them
        cards = [PassageCard(n, p, dim=answer.abstained) for n, p in enumerate(answer.passages, start=1)]
        widgets += cards
        if not answer.passages and not answer.abstained:
            widgets.append(Static("No passages found.", classes="abstain"))
        self.mount_all(widgets)
        return cards

    def add_stale(self, source: str) -> None:
        """Say that `source` changed since it was indexed (found when its passage was opened)."""
        if self.answer is not None and source not in self.answer.stale:
            self.answer.stale.append(source)
            self.mount(StaleNotice(source, left_out=False))

    def show_error(self, message: str) -> None:
        self.query(".pending").remove()
        self.mount(Static(message, classes="turn-error", markup=False))


ANSWER_KEYS = {"c", "j", "k", "r"}  # the letters the answers and their cards are bound to
TYPING_WINDOW = 1.0  # seconds after a letter typed on the answers in which every key follows it


class ConversationView(VerticalScroll, can_focus=False):
    """The questions and answers so far; keys here act on the answer cards."""

    _typing_until = 0.0  # see `on_key`

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "open_card(1)", "Open #", key_display="1-9"),
        *[Binding(str(n), f"open_card({n})", f"Open passage {n}", show=False) for n in range(2, 10)],
        Binding("up,k", "move(-1)", "Previous", show=False),
        Binding("down,j", "move(1)", "Next", show=False),
        Binding("r", "reindex", "Re-index"),
        Binding("tab,escape", "question", "Question"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reindex":
            return bool(self.app.stale_sources())  # type: ignore[attr-defined]
        return True

    def on_key(self, event: Key) -> None:
        """A letter typed here that is no key of the answers starts a question in the question box,
        so that a question typed before moving back to the box is not lost (or taken for commands);
        the keys typed right after it, which may reach here before the box has the focus, follow it
        whatever they are. (Key events reach this handler before the bindings.)"""
        now = time.monotonic()
        typing = now < self._typing_until
        if event.character and event.is_printable and (
            typing or (event.character.isalpha() and event.key not in ANSWER_KEYS)
        ):
            self._typing_until = now + TYPING_WINDOW
            box = self.app.query_one(QuestionInput)
            box.focus()
            box.insert_text_at_cursor(event.character)
            event.stop()
            event.prevent_default()

    def action_open_card(self, number: int) -> None:
        self.app.open_card(number)  # type: ignore[attr-defined]

    def action_move(self, step: int) -> None:
        cards = list(self.query(PassageCard))
        if not cards:
            return
        focused = self.screen.focused
        index = cards.index(focused) if focused in cards else (-1 if step > 0 else len(cards))
        cards[max(0, min(len(cards) - 1, index + step))].focus()

    def action_reindex(self) -> None:
        self.app.reindex(self.app.stale_sources())  # type: ignore[attr-defined]

    def action_question(self) -> None:
        self.app.action_focus_question()  # type: ignore[attr-defined]

    def action_help(self) -> None:
        self.app.action_help()  # type: ignore[attr-defined]


# ---- the source viewer ---------------------------------------------------------------------------
class DocumentView(ScrollView, can_focus=True):
    """A whole document, wrapped, with line numbers; one passage highlighted and scrolled to."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "document--gutter",
        "document--marker",
        "document--passage",
        "document--answer",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("space", "page_down", "Page down", show=False),
    ]

    def __init__(self, text: str, passage: tuple[int, int] | None, answer: tuple[int, int] | None) -> None:
        super().__init__(id="document")
        self.text = text
        self.passage = passage
        self.answer = answer
        self.lines: list[tuple[int, int]] = []
        start = 0
        for line in text.splitlines(keepends=True):
            end = start + len(line.rstrip("\r\n"))
            self.lines.append((start, end))
            start += len(line)
        self._strips: list[Strip] = []
        self._built_width = -1
        self.passage_rows: tuple[int, int] | None = None
        self._placed = False

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._built_width = -1  # the theme changed: colours are baked into the strips
        self.refresh()

    def _build(self, width: int) -> None:
        console = self.app.console
        digits = len(str(max(1, len(self.lines))))
        body = max(10, width - digits - 3)
        gutter = self.get_component_rich_style("document--gutter")
        marker = self.get_component_rich_style("document--marker")
        in_passage = self.get_component_rich_style("document--passage")
        in_answer = self.get_component_rich_style("document--answer")
        strips: list[Strip] = []
        rows: list[int] = []
        for number, (start, end) in enumerate(self.lines, start=1):
            line = Text(self.text[start:end], end="", no_wrap=False)
            touched = self._overlap(self.passage, start, end)
            if touched:
                line.stylize(in_passage, *touched)
            if answer := self._overlap(self.answer, start, end):
                line.stylize(in_answer, *answer)
            line.expand_tabs(8)
            pieces = line.wrap(console, body, overflow="fold") if line.plain else [Text("")]
            if touched:
                rows += [len(strips), len(strips) + len(pieces) - 1]
            for row, piece in enumerate(pieces):
                label = f"{number:>{digits}} " if row == 0 else " " * (digits + 1)
                segments = [
                    *Text(label, style=gutter, end="").render(console),
                    *Text("▌ " if touched else "  ", style=marker if touched else gutter, end="").render(console),
                    *piece.render(console),
                ]
                strips.append(Strip(segments).apply_style(self.rich_style))
        self._strips = strips
        self._built_width = width
        self.passage_rows = (min(rows), max(rows)) if rows else None
        self.virtual_size = Size(width, len(strips))

    @staticmethod
    def _overlap(span: tuple[int, int] | None, start: int, end: int) -> tuple[int, int] | None:
        if span is None or span[1] <= start or span[0] >= end:
            return None
        return max(span[0], start) - start, min(span[1], end) - start

    def _ensure_built(self) -> None:
        width = self.scrollable_content_region.width
        if width > 0 and width != self._built_width:
            self._build(width)

    def on_resize(self, event: Resize) -> None:
        self._ensure_built()
        if not self._placed and self.passage_rows is not None and self.size.height:
            self._placed = True
            self.call_after_refresh(self.scroll_to_passage)

    def scroll_to_passage(self) -> None:
        if self.passage_rows is not None:
            first, last = self.passage_rows
            height = self.scrollable_content_region.height
            context = max(1, (height - (last - first + 1)) // 3)
            self.scroll_to(y=max(0, first - context), animate=False, immediate=True)

    def render_line(self, y: int) -> Strip:
        self._ensure_built()
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        row = scroll_y + y
        if row >= len(self._strips):
            return Strip.blank(width, self.rich_style)
        return self._strips[row].crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def visible_text(self) -> str:
        """The text on screen now (for tests and screen readers of the log)."""
        return "\n".join(self.render_line(y).text for y in range(self.scrollable_content_region.height))


class SourceScreen(Screen[None]):
    """A cited document, scrolled to the passage; Escape goes back to the conversation."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", key_display="esc"),
        Binding("n", "to_passage", "Passage"),
        Binding("c", "copy", "Copy cite"),
    ]

    def __init__(self, citation: Citation, title: str, text: str, passage: tuple[int, int] | None,
                 answer: tuple[int, int] | None, note: str = "") -> None:
        super().__init__()
        self.citation = citation
        self.document_title = title
        self.text = text
        self.span = passage
        self.answer_span = answer
        self.note = note

    def compose(self) -> ComposeResult:
        yield Header()
        lines = self.text.count("\n") + (not self.text.endswith("\n"))
        yield Static(
            Content.assemble((cite(self.citation), "$text-primary"), (f" · {lines} lines", "$text-muted")),
            id="source-path",
        )
        if self.note:
            yield Static(self.note, id="source-note", markup=False)
        yield DocumentView(self.text, self.span, self.answer_span)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = self.document_title or Path(self.citation.source).name
        self.sub_title = ""
        self.query_one(DocumentView).focus()

    def action_back(self) -> None:
        self.dismiss()

    def action_copy(self) -> None:
        self.app.copy_citation(self.citation)  # type: ignore[attr-defined]

    def action_to_passage(self) -> None:
        self.query_one(DocumentView).scroll_to_passage()


# ---- help ----------------------------------------------------------------------------------------
HELP_KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    ("In the question box", [
        ("enter", "ask the question"),
        ("↑ ↓", "earlier questions (kept between runs)"),
        ("tab", "go to the answers"),
        ("pgup pgdn", "scroll the conversation"),
        ("f1", "this help"),
    ]),
    ("On the answers", [
        ("↑ ↓  j k", "previous / next passage"),
        ("enter, click", "open the source at the passage"),
        ("1 … 9", "open passage N of the latest answer"),
        ("c", "copy the citation (file:line)"),
        ("r", "re-index files that changed"),
        ("tab, esc", "back to the question box"),
        ("?", "this help"),
    ]),
    ("In the source", [
        ("esc, q", "back to the conversation"),
        ("n", "back to the passage"),
        ("c", "copy the citation"),
    ]),
    ("Anywhere", [
        ("ctrl+e", "export the conversation as Markdown"),
        ("ctrl+r", "retry opening the index, after it failed"),
        ("ctrl+p", "commands (e.g. light or dark theme)"),
        ("ctrl+q", "quit"),
    ]),
]


class HelpScreen(ModalScreen[None]):
    """The keys, and where the answers come from."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close", key_display="esc"),
    ]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static("Ask the documents", classes="help-title")
            yield Static(
                "Answers are passages quoted word for word from the indexed documents, the answer "
                "itself marked, each with the file and line it comes from. Follow-up questions "
                "(\"and who led it?\") are read in the light of the one before.",
                classes="help-intro",
            )
            for section, keys in HELP_KEYS:
                yield Static(section, classes="help-section")
                for key, description in keys:
                    with Horizontal(classes="help-row"):
                        yield Label(key, classes="help-key")
                        yield Label(description, classes="help-description")
            yield Static("Settings", classes="help-section")
            settings_file = self.settings.settings_file or "qa.toml"
            yield Static(
                f"index {index_label(self.settings)} · top {self.settings.top_k} passages\n"
                f"from --index/--top-k, $QA_INDEX/$QA_TOP_K, or {display_path(settings_file)}",
                classes="help-settings",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one("#help", VerticalScroll).focus()  # so the arrows, PageDown and End scroll it

    def action_close(self) -> None:
        self.dismiss()

    def on_click(self, event: Click) -> None:
        if event.widget is self:
            self.dismiss()


# ---- the app -------------------------------------------------------------------------------------
@dataclass
class Timings:
    """Measured by the app itself, in milliseconds: from the process start to the first frame with the
    question box focused, and to the index and model ready; from Enter to the answer's cards laid out
    on screen, for each answer."""

    usable_ms: float | None = None
    ready_ms: float | None = None
    answers_ms: list[float] = field(default_factory=list)


class QAApp(App[None]):
    """Ask the documents."""

    CSS_PATH = Path(__file__).with_name("tui.tcss")
    TITLE = "Ask the documents"
    AUTO_FOCUS = "#question"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+e", "export", "Export", priority=True),
        Binding("ctrl+r", "retry", "Retry loading"),
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, settings: Settings, assistant: Assistant | None = None, corpus: Path | None = None,
                 history: Path | None = None, export_dir: Path | None = None, encoder: Encoder | None = None) -> None:
        super().__init__()
        self.encoder = encoder
        self.settings = assistant.settings if assistant is not None else settings
        self.assistant: Assistant | None = assistant
        self.corpus = corpus
        self.history = History(history)
        self.export_dir = export_dir
        self.conversation: Conversation | None = None  # the follow-up context, made once the assistant is open
        self.answers: list[Answer] = []
        self.timings = Timings()
        self._started = PROCESS_STARTED
        self._loaded = threading.Event()
        self._load_error: str | None = None
        self._queue_lock = threading.Condition()
        self._asked = 0
        self._served = 0
        self._index_lock = threading.Lock()

    # -- layout
    def compose(self) -> ComposeResult:
        yield Header()
        with ConversationView(id="conversation"):
            yield Static(self._welcome(), id="welcome")
        with Vertical(id="composer"):
            with Horizontal(id="status-bar"):
                yield StatusLine("Opening the index…", id="status")
                yield ProgressBar(id="progress", show_eta=False, show_percentage=True)
            example = f", e.g. {EXAMPLE_QUESTION}" if self._default_index() else " about the documents"
            # a question half typed stays as it is when the box gets the focus back (not selected,
            # to be replaced by the next key)
            yield QuestionInput(placeholder=f"Ask a question{example}", id="question", select_on_focus=False)
        yield Footer(compact=True)

    def _default_index(self) -> bool:
        """Whether the index is the default one, built from the bundled corpus."""
        return not self.settings.is_remote and Path(self.settings.index) == Path(Settings().index)

    def _welcome(self) -> Content:
        example = [("Try: ", "$text-muted"), (EXAMPLE_QUESTION, "$text-accent"), ("   ·   ", "$text-muted")]
        return Content.assemble(
            ("Ask a question about the documents in ", ""),
            (index_label(self.settings), "bold"),
            (".\n", ""),
            ("Each answer is a set of passages quoted from the documents, the answer marked, "
             "with the file and line it comes from.\n", "$text-muted"),
            *(example if self._default_index() else []),
            ("F1 for keys", "$text-muted"),
        )

    def on_mount(self) -> None:
        self.sub_title = f"{index_label(self.settings)} · top {self.settings.top_k}"
        if self.is_headless:
            self.query_one(QuestionInput).cursor_blink = False  # screenshots must not depend on timing
        self._load()
        self.call_after_refresh(self._first_frame)

    def _first_frame(self) -> None:
        self.timings.usable_ms = (time.perf_counter() - self._started) * 1000

    # -- loading (worker thread)
    def _status(self, text: str, state: str = "loading") -> None:
        """Set the status line; callable from any thread."""
        def update() -> None:
            self.query_one(StatusLine).show(text, busy=state in ("loading", "indexing"))
            bar = self.query_one("#status-bar")
            for name in ("loading", "ready", "error", "indexing"):
                bar.set_class(name == state, f"-{name}")
        self._call(update)

    def _call(self, callback: Callable[..., Any], *args: Any) -> None:
        if threading.get_ident() == self._thread_id:
            callback(*args)
        else:
            self.call_from_thread(callback, *args)

    def _notify(self, message: str, severity: str = "information", timeout: float | None = None) -> None:
        self._call(lambda: self.notify(message, severity=severity, markup=False, timeout=timeout))  # type: ignore[arg-type]

    def _may_build(self) -> bool:
        return self.corpus is not None or self._default_index()

    @work(thread=True, name="load", exit_on_error=False)
    def _load(self) -> None:
        """Open (or build) the index and load the model, off the UI thread."""
        try:
            assistant = self.assistant or self._open()
            self._status(f"Loading the model {assistant.settings.model}…")
            assistant.warm_up()
            assistant.ask("warm up the index")  # loads the vector index, so the first answer is quick
            from qa.engine import Conversation

            self.conversation = Conversation()
            self.assistant = assistant
            self.timings.ready_ms = (time.perf_counter() - self._started) * 1000
            self._status(self._ready_text(), "ready")
        except QAError as error:
            self._load_failed(str(error))
        except Exception as error:  # the last line of defence: a notification, not a traceback
            self._load_failed(f"unexpected error: {type(error).__name__}: {error}")
        finally:
            self._loaded.set()
            with self._queue_lock:
                self._queue_lock.notify_all()
            self._call(self._after_load)

    def _ready_text(self) -> str:
        files = len(self.assistant.store.file_records()) if self.assistant else 0
        return f"● Ready · {files} document{'s' * (files != 1)} indexed"

    def _open(self) -> Assistant:
        from index.embedding import Encoder
        from qa.engine import Assistant

        encoder = self.encoder or Encoder.from_settings(self.settings)
        try:
            return Assistant.open(self.settings, encoder=encoder)
        except (IndexMissing, IndexOutdated) as error:
            if not self._may_build():
                if isinstance(error, IndexOutdated):
                    raise
                where = index_label(self.settings)
                raise IndexMissing(
                    f"no index in {where} yet: build one with `qa ingest --index {where} FOLDER`, "
                    "or start without --index to use the bundled corpus"
                ) from None
        self._build(encoder)
        return Assistant.open(self.settings, encoder=encoder)

    def _build(self, encoder: Any) -> None:
        from index.ingest import ingest

        corpus = self.corpus or DEFAULT_CORPUS
        where = display_path(corpus)
        self._status(f"No index yet: building it from {where}/…", "indexing")
        self._call(self._show_progress, None)

        def progress(done: int, total: int) -> None:
            self._status(f"Indexing {where}/: {done}/{total} chunks", "indexing")
            self._call(self._show_progress, (done, total))

        with self._index_lock:
            report = ingest([corpus], self.settings, encoder, progress=progress)
        for problem in report.skipped:
            self._notify(str(problem), "warning")
        self._call(self._show_progress, False)
        files = len(report.added) + len(report.changed) + len(report.unchanged)
        if not files:
            raise IndexMissing(f"nothing to index in {where}: add .txt or .md files to it")
        self._notify(f"Indexed {files} documents from {where}/ into {index_label(self.settings)}")

    def _show_progress(self, state: tuple[int, int] | bool | None) -> None:
        bar = self.query_one("#progress", ProgressBar)
        if state is False:
            bar.display = False
            return
        bar.display = True
        if isinstance(state, tuple):
            done, total = state
            bar.update(total=max(total, 1), progress=done)

    def _load_failed(self, message: str) -> None:
        self._load_error = message
        self._status(f"✕ Not ready: {message}", "error")
        self._notify(message, "error", timeout=10)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self._load_error is not None  # shown only after opening the index failed
        return True

    def action_retry(self) -> None:
        """Open the index again (e.g. once the Chroma server is up, or after `qa ingest`)."""
        if self._load_error is None:
            return
        self._load_error = None
        self._loaded.clear()
        self._status("Opening the index…")
        self.refresh_bindings()
        self._load()

    def _after_load(self) -> None:
        for turn in self.query(Turn):
            if turn.answer is None:
                turn.set_waiting("Searching…")
        self.refresh_bindings()

    # -- asking
    @on(Input.Submitted, "#question")
    def _submitted(self, event: Input.Submitted) -> None:
        self.ask(event.value)

    def ask(self, question: str) -> None:
        """Ask `question` now, or as soon as the index and model are ready."""
        question = question.strip()
        if not any(ch.isalnum() for ch in question):
            self.notify(str(EmptyQuestion()), severity="error", markup=False)
            return
        if len(question) > QuestionTooLong.LIMIT:  # kept in the box, to be cut down
            self.notify(str(QuestionTooLong(len(question))), severity="error", markup=False)
            return
        if self._load_error is not None:
            self.notify(f"Cannot answer: {self._load_error}", severity="error", markup=False, timeout=10)
            return
        self.history.add(question)
        self.query_one(QuestionInput).value = ""
        for welcome in self.query("#welcome"):
            welcome.remove()
        waiting = "Searching…" if self._loaded.is_set() else "Waiting for the index and model to load…"
        turn = Turn(question, waiting)
        conversation = self.query_one("#conversation", ConversationView)
        conversation.mount(turn)
        conversation.scroll_end(animate=False)
        self._asked += 1
        self._answer(turn, self._asked - 1, time.perf_counter())

    @work(thread=True, group="ask", exit_on_error=False)
    def _answer(self, turn: Turn, seq: int, asked_at: float) -> None:
        """Answer one question, once the index is open and every earlier question is answered."""
        worker = get_current_worker()
        with self._queue_lock:  # one at a time, in the order asked (follow-ups lean on the turn before)
            while not (self._loaded.is_set() and self._served == seq):
                if worker.is_cancelled:
                    return
                self._queue_lock.wait(0.1)
        try:
            if self.assistant is None or self.conversation is None:
                self._call(turn.show_error, f"Cannot answer: {self._load_error or 'the index is not open'}")
                return
            with self._index_lock:
                answer = self.assistant.ask(turn.question, self.conversation)
            self._call(self._show_answer, turn, answer, asked_at)
        except QAError as error:
            self._call(turn.show_error, str(error))
            self._notify(str(error), "error")
        except Exception as error:
            message = f"unexpected error: {type(error).__name__}: {error}"
            self._call(turn.show_error, message)
            self._notify(message, "error")
        finally:
            with self._queue_lock:
                self._served += 1
                self._queue_lock.notify_all()

    def _show_answer(self, turn: Turn, answer: Answer, asked_at: float) -> None:
        turn.show_answer(answer)
        self.answers.append(answer)
        conversation = self.query_one("#conversation", ConversationView)

        def shown() -> None:
            conversation.scroll_to_widget(turn, top=True, animate=False)
            self.timings.answers_ms.append((time.perf_counter() - asked_at) * 1000)

        self.call_after_refresh(shown)
        self.refresh_bindings()

    # -- answers and sources
    def latest_cards(self) -> list[PassageCard]:
        turns = [t for t in self.query(Turn) if t.answer is not None]
        return list(turns[-1].query(PassageCard)) if turns else []

    def stale_sources(self) -> list[str]:
        """Files cited in this conversation that changed since they were indexed."""
        return list(dict.fromkeys(source for answer in self.answers for source in answer.stale))

    def action_focus_answers(self) -> None:
        cards = self.latest_cards()
        if cards:
            cards[0].focus()
        else:
            self.notify("No answers yet: type a question and press Enter", severity="information")

    def action_focus_question(self) -> None:
        self.query_one(QuestionInput).focus()

    def action_scroll_conversation(self, pages: int) -> None:
        conversation = self.query_one("#conversation", ConversationView)
        (conversation.scroll_page_down if pages > 0 else conversation.scroll_page_up)()

    def open_card(self, number: int) -> None:
        cards = self.latest_cards()
        if 1 <= number <= len(cards):
            cards[number - 1].focus()
            self.open_passage(cards[number - 1].passage)
        else:
            self.notify(f"The latest answer has no passage {number}", severity="warning")

    def open_passage(self, passage: Passage, card: PassageCard | None = None) -> None:
        """Show the source of an answer's passage, checked against the file as it is now."""
        if not self.open_citation(passage.citation, passage.text, passage.answer, passage.title) and card:
            for turn in card.ancestors:
                if isinstance(turn, Turn):
                    turn.add_stale(passage.citation.path)
            self.refresh_bindings()

    def open_citation(self, citation: Citation, expected: str | None = None, answer: Any = None,
                      title: str = "") -> bool:
        """Show the cited file scrolled to the passage; False when the file no longer holds `expected`
        where the index said (it is shown all the same, with a note)."""
        try:
            with open(citation.path, "rb") as handle:
                text = handle.read().decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
            self.notify(f"Cannot open {citation.source}: {reason}", severity="error", markup=False)
            return expected is None
        span: tuple[int, int] | None = (citation.start, citation.end)
        marked = None if answer is None else (answer.start, answer.end)
        note = ""
        if expected is not None and text[citation.start : citation.end] != expected:
            found = text.find(expected)
            shift = found - citation.start
            if found >= 0:
                span = (found, found + len(expected))
                marked = None if marked is None else (marked[0] + shift, marked[1] + shift)
                note = f"{citation.source} changed since it was indexed; the passage is now at line " \
                       f"{text.count(chr(10), 0, found) + 1}. Press r in the answers to re-index it."
            else:
                span = marked = None
                note = f"{citation.source} changed since it was indexed and no longer holds this passage. " \
                       "Press r in the answers to re-index it."
        self.push_screen(SourceScreen(citation, title, text, span, marked, note))
        return not note

    def copy_citation(self, citation: Citation) -> None:
        self.copy_to_clipboard(cite(citation))
        self.notify(f"Copied {cite(citation)}", markup=False)

    # -- re-indexing changed files
    def reindex(self, sources: list[str]) -> None:
        if not sources:
            self.notify("Nothing to re-index: no cited file changed", severity="information")
            return
        if self.assistant is None:
            self.notify("The index is not open yet", severity="warning")
            return
        self._reindex(list(sources))

    @work(thread=True, group="reindex", exclusive=True, exit_on_error=False)
    def _reindex(self, sources: list[str]) -> None:
        """Re-index changed files and reopen the index, so the next question sees them."""
        from index.ingest import ingest
        from qa.engine import Assistant

        names = ", ".join(display_path(s) for s in sources)
        self._status(f"Re-indexing {names}…", "indexing")
        try:
            assert self.assistant is not None
            encoder = self.assistant.encoder
            with self._index_lock:
                report = ingest([Path(s) for s in sources], self.settings, encoder)
                self.assistant = Assistant.open(self.settings, encoder=encoder)
            for problem in report.skipped:
                self._notify(str(problem), "warning")
            self._call(self._reindexed, sources)
            self._notify(f"Re-indexed {names}: ask again to use the new text")
        except QAError as error:
            self._notify(str(error), "error")
        except Exception as error:
            self._notify(f"unexpected error: {type(error).__name__}: {error}", "error")
        finally:
            self._status(self._ready_text(), "ready")

    def _reindexed(self, sources: list[str]) -> None:
        for notice in self.query(StaleNotice):
            if notice.source in sources:
                notice.remove()
        for answer in self.answers:
            answer.stale = [s for s in answer.stale if s not in sources]
        self.refresh_bindings()

    # -- export, help
    def action_export(self) -> Path | None:
        if not self.answers:
            self.notify("Nothing to export yet: ask a question first", severity="warning")
            return None
        now = datetime.now()
        folder = self.export_dir or Path.cwd()
        path = folder / f"qa-conversation-{now:%Y%m%d-%H%M%S}.md"
        suffix = 1
        while path.exists():
            suffix += 1
            path = folder / f"qa-conversation-{now:%Y%m%d-%H%M%S}-{suffix}.md"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(conversation_markdown(self.answers, self.settings, now), encoding="utf-8")
        except OSError as error:
            self.notify(f"Cannot export to {path}: {error.strerror}", severity="error", markup=False)
            return None
        self.last_export = path
        self.notify(f"Conversation saved to {display_path(path)}", title="Exported", markup=False, timeout=8)
        return path

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.settings))


def make_app(settings: Settings | None = None, assistant: Assistant | None = None, corpus: Path | None = None,
             history: Path | None = None, export_dir: Path | None = None, encoder: Encoder | None = None) -> QAApp:
    """The app, for `main()`, the tests and the snapshots.

    `settings` as the CLI reads them (default: `load_settings()`); an already open `assistant` (or a
    loaded `encoder`) saves loading the model again; `corpus` is indexed when the index is missing
    (without it, the bundled corpus, and only for the default index location); `history` is the
    question history file (default: $XDG_STATE_HOME/qa/history); exports go to `export_dir`
    (default: the current directory)."""
    settings = settings or load_settings()
    return QAApp(settings, assistant=assistant, corpus=corpus, history=history or history_file(),
                 export_dir=export_dir, encoder=encoder)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tui.py",
        description="Ask questions of your documents in the terminal; read cited, verbatim passages.",
    )
    parser.add_argument("--index", metavar="DIR|URL",
                        help="index directory or Chroma server URL (http://HOST:PORT); default: $QA_INDEX or .qa/index")
    parser.add_argument("--top-k", type=int, metavar="K", help="passages per answer (default 3)")
    parser.add_argument("--measure", type=int, metavar="N", nargs="?", const=10,
                        help="print how fast the app starts and answers N questions (default 10), then exit")
    args = parser.parse_args(argv)
    if args.top_k is not None and args.top_k < 1:
        parser.error("--top-k must be at least 1")
    try:
        settings = load_settings(index=args.index, top_k=args.top_k)
    except SettingsError as error:
        print(f"tui.py: {error}", file=sys.stderr)
        return 2
    if args.measure is not None:
        return measure(settings, args.measure)
    app = make_app(settings)
    app.run()
    return app.return_code or 0


def measure(settings: Settings, count: int, encoder: Encoder | None = None) -> int:
    """Run the app headless and print its timings: start to usable input, start to ready, and Enter
    to the first answer card for `count` questions (from evals/questions.jsonl) asked one by one."""
    import asyncio
    import json
    import statistics

    source = PROJECT_ROOT / "evals" / "questions.jsonl"
    lines = source.read_text(encoding="utf-8").splitlines() if source.is_file() else []
    questions = [json.loads(line)["question"] for line in lines if line.strip()][:count] or [EXAMPLE_QUESTION]

    async def run() -> Timings:
        app = make_app(settings, history=Path(os.devnull), encoder=encoder)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            if app._load_error:
                raise SystemExit(f"tui.py: {app._load_error}")
            for question in questions:
                done = len(app.timings.answers_ms)
                app.query_one(QuestionInput).value = question
                await pilot.press("enter")
                while len(app.timings.answers_ms) == done:
                    await asyncio.sleep(0.001)
            return app.timings

    timings = asyncio.run(run())
    answers = sorted(timings.answers_ms)
    print(f"start to usable input: {timings.usable_ms:.0f} ms (first frame, question box focused)")
    print(f"start to ready: {timings.ready_ms:.0f} ms (index open, model loaded and warmed)")
    print(f"Enter to first answer card, warm, {len(answers)} questions: median {statistics.median(answers):.0f} ms, "
          f"p90 {answers[int(0.9 * (len(answers) - 1))]:.0f} ms, max {answers[-1]:.0f} ms")
    return 0


if __name__ == "__main__":
    status = main()
    # The terminal is restored by now. Leave at once: a worker may still be loading the model or
    # indexing (its thread would be waited for), and unloading torch and Chroma takes a second.
    # History and exports are closed by now; an index build cut short resumes on the next start
    # (a file counts as indexed only once all its chunks are stored).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
