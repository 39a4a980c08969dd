"""The widgets of the conversation: the status line, the question box, the answer cards and turns."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.events import Click, Key
from textual.widgets import Button, Input, Label, Static

from index.documents.read import display_path
from index.terminal import DATA_FIELDS, visible, visible_record
from qa.passages import Answer, Citation, Passage
from qa.render import NO_PASSAGES, also_in, date_of, dated, headline, lead_line, read_as
from qa.timeline import Timeline
from ui.export import cite
from ui.history import History
from ui.messages import CopyCitation, OpenCitation, OpenPassage, Reindex


def score_bar(score: float, width: int = 8) -> tuple[str, str]:
    """A bar of `width` cells for a score in [0, 1], to half a cell: (filled part, empty track)."""
    halves = round(max(0.0, min(1.0, score)) * width * 2)
    bar = "━" * (halves // 2) + ("╸" if halves % 2 else "")
    return bar, "━" * (width - len(bar))


def strengths(answer: Answer) -> list[float]:
    """Each passage's score as a share of the way from the lowest shown to the first, 0.1..1: how
    much weaker than the first a card is (fused scores themselves mean nothing to a reader)."""
    scores = [p.score for p in answer.passages]
    if not scores:
        return []
    low, high = min(scores), scores[0]
    spread = high - low
    return [1.0 if spread <= 0 else max(0.1, min(1.0, 0.1 + 0.9 * (s - low) / spread)) for s in scores]


def fit_path(text: str, width: int) -> str:
    """`text` in `width` cells: a long path loses its start ("…/corpus/a.txt:25"), never its end."""
    return text if len(text) <= width or width < 2 else "…" + text[len(text) - width + 1 :]


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

    def __init__(self, history: History, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.history = history

    def action_history(self, step: int) -> None:
        text = self.history.previous(self.value) if step < 0 else self.history.next()
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
        """The answer span in the passage's own text, or None when nothing is marked."""
        return self.passage.answer_offsets if self.highlight else None

    def render(self) -> Content:
        text, offsets = self.passage.readable()
        content = Content(text)
        if offsets is not None and self.highlight:
            content = content.stylize(".passage--answer", *offsets)
        return content


class CitationLabel(Static):
    """`date · file:line` on one line, the path shortened from the left when the terminal is narrow."""

    def __init__(self, citation: Citation, prefix: str = "", classes: str = "", dated: bool = True) -> None:
        super().__init__(classes=classes)
        self.citation = citation
        self.prefix = prefix + (f"{date_of(citation)} · " if dated else "")

    def render(self) -> Content:
        width = self.content_region.width or 80
        return Content.assemble((self.prefix, "$text-muted"), fit_path(cite(self.citation), width - len(self.prefix)))

    def on_resize(self) -> None:
        self.refresh()  # shortened for the width it had when first drawn, perhaps before layout


class CitationLink(CitationLabel):
    """A clickable citation of another source ("also in"): opens that file at its place."""

    def on_click(self, event: Click) -> None:
        event.stop()
        self.post_message(OpenCitation(self.citation))


class PassageCard(Vertical, can_focus=True):
    """One passage of an answer: title, score, text with the answer marked, citation, other sources."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open"),
        Binding("c", "copy", "Copy cite"),
    ]

    def __init__(self, number: int, passage: Passage, dim: bool, strength: float = 1.0) -> None:
        super().__init__(classes="card -dim" if dim else "card")
        self.number = number
        self.passage = passage
        self.dim = dim
        self.strength = strength  # its score against the first card's, 0..1: the bar, not a raw number

    def compose(self) -> ComposeResult:
        passage = self.passage
        bar, track = score_bar(self.strength)
        with Horizontal(classes="card-head"):
            yield Label(str(self.number), classes="card-number")
            yield Label(passage.title or Path(passage.citation.source).stem, classes="card-title", markup=False)
            yield Label(
                Content.assemble(
                    (bar, "$text-muted" if self.dim else "$accent"),
                    (track, "$panel-lighten-2"),
                ),
                classes="card-score",
            )
        yield PassageText(passage, highlight=not self.dim)
        yield CitationLabel(passage.citation, classes="card-citation")
        for other in passage.also_in:
            yield CitationLink(other, prefix=also_in(other), classes="card-also", dated=False)
        if passage.dated is not None:
            yield CitationLink(passage.dated.citation, prefix=f"{dated(passage.dated)} · ", classes="card-also",
                               dated=False)

    def on_click(self, event: Click) -> None:
        self.focus()
        self.action_open()

    def action_open(self) -> None:
        self.post_message(OpenPassage(self.passage, self))

    def action_copy(self) -> None:
        self.post_message(CopyCitation(self.passage.citation))


class TimelineSection(Vertical):
    """Different answers at different dates: the lead line, then each answer with the dates and
    citations that give it (each opens its source)."""

    def __init__(self, timeline: Timeline) -> None:
        super().__init__(classes="timeline")
        self.timeline = timeline

    def compose(self) -> ComposeResult:
        yield Static(lead_line(self.timeline), classes="timeline-lead", markup=False)
        for run in self.timeline.runs:
            yield Static(Content.assemble(("◆ ", "$accent"), (run.answer, "bold")), classes="timeline-answer")
            for entry in run.entries:
                yield CitationLink(entry.citation, classes="timeline-entry")


class StaleNotice(Horizontal):
    """A file that changed since it was indexed, with a button to re-index it."""

    def __init__(self, source: str, left_out: bool = True) -> None:
        super().__init__(classes="stale")
        self.source = source
        self.left_out = left_out

    def compose(self) -> ComposeResult:
        effect = "what changed is left out of this answer" if self.left_out else "this answer quotes the old text"
        what = "Changed" if os.path.exists(self.source) else "Gone"
        yield Static(
            Content.assemble((f"⚠ {what} since it was indexed; {effect}:\n", "bold"),
                             visible(display_path(self.source))),
            classes="stale-text",
        )
        yield Button("Re-index (r)", compact=True, classes="stale-button")

    @on(Button.Pressed)
    def _reindex(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(Reindex([self.source]))


class Turn(Vertical):
    """One question and its answer (or, until it comes, what it is waiting for)."""

    def __init__(self, question: str, waiting: str) -> None:
        super().__init__(classes="turn")
        self.question = question
        self.waiting = waiting
        self.answer: Answer | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("› ", "$accent"), visible(self.question)), classes="question")
        yield Static(self.waiting, classes="pending")

    def set_waiting(self, text: str) -> None:
        """Say what the question waits for now."""
        for pending in self.query(".pending").results(Static):
            pending.update(text)

    def show_answer(self, answer: Answer) -> list[PassageCard]:
        """Show `answer` in place of the waiting line; its cards. What it quotes is shown with its control
        characters as pictures (`visible_record`), here and in an export (its files' paths kept)."""
        answer = self.answer = visible_record(answer, keep=DATA_FIELDS)
        self.query(".pending").remove()
        widgets: list[Static | Horizontal | Vertical] = []
        if answer.reworded:
            widgets.append(Static(read_as(answer), classes="read-as", markup=False))
        if said := headline(answer):
            widgets.append(Static(said, classes="abstain" if answer.abstained else "caution", markup=False))
        widgets += [StaleNotice(source) for source in answer.stale]  # first: the cards were made without them
        if answer.timeline is not None:
            widgets.append(TimelineSection(answer.timeline))
        cards = [PassageCard(n, p, dim=answer.abstained, strength=s)
                 for n, (p, s) in enumerate(zip(answer.passages, strengths(answer), strict=True), start=1)]
        widgets += cards
        if not answer.passages and not answer.abstained:
            widgets.append(Static(NO_PASSAGES, classes="abstain"))
        self.mount_all(widgets)
        return cards

    def add_stale(self, source: str) -> None:
        """Say that `source` changed since it was indexed (found when its passage was opened)."""
        if self.answer is not None and source not in self.answer.stale:
            self.answer = dataclasses.replace(self.answer, stale=(*self.answer.stale, source))
            self.mount(StaleNotice(source, left_out=False))

    def drop_stale(self, sources: list[str]) -> None:
        """Forget that `sources` changed: they were indexed again."""
        if self.answer is not None:
            self.answer = dataclasses.replace(self.answer, stale=tuple(s for s in self.answer.stale
                                                                         if s not in sources))

    def show_error(self, message: str) -> None:
        """Show why the question got no answer."""
        self.query(".pending").remove()
        self.mount(Static(visible(message), classes="turn-error", markup=False))


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
        Binding("tab,escape", "app.focus_question", "Question"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
    ]

    def answers(self) -> list[Answer]:
        """The answers shown so far, in the order asked."""
        return [turn.answer for turn in self.query(Turn) if turn.answer is not None]

    def stale_sources(self) -> list[str]:
        """Files cited in this conversation that changed since they were indexed."""
        return list(dict.fromkeys(source for answer in self.answers() for source in answer.stale))

    def latest_cards(self) -> list[PassageCard]:
        """The cards of the latest answer."""
        turns = [t for t in self.query(Turn) if t.answer is not None]
        return list(turns[-1].query(PassageCard)) if turns else []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reindex":
            return bool(self.stale_sources())
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
        elif event.key == "r" and not self.stale_sources():
            # the binding shows only when a cited file changed; pressed anyway, r says so
            event.stop()
            self.post_message(Reindex([]))

    def action_open_card(self, number: int) -> None:
        cards = self.latest_cards()
        if 1 <= number <= len(cards):
            cards[number - 1].focus()
            self.post_message(OpenPassage(cards[number - 1].passage))
        else:
            self.notify(f"The latest answer has no passage {number}", severity="warning")

    def action_move(self, step: int) -> None:
        cards = list(self.query(PassageCard))
        if not cards:
            return
        focused = self.screen.focused
        index = cards.index(focused) if focused in cards else (-1 if step > 0 else len(cards))
        cards[max(0, min(len(cards) - 1, index + step))].focus()

    def action_reindex(self) -> None:
        self.post_message(Reindex(self.stale_sources()))
