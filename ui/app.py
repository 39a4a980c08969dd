"""The app: the conversation, the question box and the status line; it opens the index in a worker
and answers questions one at a time, in the order asked, in another."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Header, Input, Static

from config.errors import QAError, UnreadableFile
from config.settings import Settings, load_settings
from index.documents.read import display_path
from index.terminal import visible
from qa.passages import Answer, Citation
from qa.question import checked_question
from ui.background import AnswerQueue, IndexOpener, Moments, Progress, Severity
from ui.export import cite, export_folder, export_path, index_label, write_export
from ui.history import History, history_file
from ui.messages import CopyCitation, OpenCitation, OpenPassage, Reindex
from ui.screens import HelpScreen, Offsets, SourceScreen, welcome_text
from ui.status import StatusBar
from ui.widgets import ConversationView, QuestionInput, StaleNotice, Turn

if TYPE_CHECKING:
    from index.embedding import Encoder
    from qa.conversation import Conversation
    from qa.engine import Assistant

EXAMPLE_QUESTION = "when were talks suspended?"


class QAApp(App[None]):
    """Ask the documents."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
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
        self.index_label = index_label(self.settings)
        self.assistant: Assistant | None = assistant
        self.corpus = corpus
        self.history = History(history)
        self.export_dir = export_dir
        self.notices: list[str] = []  # every information notice shown in the status line
        self.last_export: Path | None = None
        self.conversation: Conversation | None = None  # the follow-up context, made once the assistant is open
        self.moments = Moments()
        self._load_error: str | None = None
        self._questions: AnswerQueue[tuple[Turn, float]] = AnswerQueue()  # each with when it was asked
        self._index_lock = threading.Lock()

    # -- layout
    def compose(self) -> ComposeResult:
        yield Header()
        with ConversationView(id="conversation"):
            example = EXAMPLE_QUESTION if self._default_index() else None
            yield Static(welcome_text(self.index_label, example), id="welcome")
        with Vertical(id="composer"):
            yield StatusBar(id="status-bar")
            example = f", e.g. {EXAMPLE_QUESTION}" if self._default_index() else " about the documents"
            # a question half typed stays as it is when the box gets the focus back (not selected,
            # to be replaced by the next key)
            yield QuestionInput(self.history, placeholder=f"Ask a question{example}", id="question",
                                select_on_focus=False)
        yield Footer(compact=True)

    def _default_index(self) -> bool:
        """Whether the index is the default one, built from the bundled corpus."""
        return not self.settings.is_remote and Path(self.settings.index) == Path(Settings().index)

    def on_mount(self) -> None:
        self.sub_title = visible(f"{self.index_label} · top {self.settings.top_k}")
        if self.is_headless:
            self.query_one(QuestionInput).cursor_blink = False  # screenshots must not depend on timing
        self._load()
        self.call_after_refresh(self._first_frame)

    def _first_frame(self) -> None:
        self.moments.usable = time.perf_counter()

    @property
    def answers(self) -> list[Answer]:
        """The answers shown so far, in the order asked."""
        return self.query_one(ConversationView).answers()

    # -- calling into the UI from any thread
    def _call(self, callback: Callable[..., Any], *args: Any) -> None:
        if threading.get_ident() == self._thread_id:
            callback(*args)
        else:
            self.call_from_thread(callback, *args)

    def _status(self, text: str, state: str = "loading") -> None:
        """Set the status line; callable from any thread."""
        self._call(lambda: self.query_one(StatusBar).show(text, state))

    def notify(self, message: str, *, title: str = "", severity: Severity = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """A notice: information goes to the status line for `ui.status.NOTICE_SECONDS` (a toast would cover
        the citation of the card under it); warnings and errors are toasts. A file's name in it is
        shown, never sent to the terminal (`visible`)."""
        message, title = visible(message), visible(title)
        if severity != "information":
            super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)
            return
        self.notices.append(message)
        self.query_one(StatusBar).notice(f"{title}: {message}" if title else message)

    def _notify(self, message: str, severity: Severity = "information", timeout: float | None = None) -> None:
        self._call(lambda: self.notify(message, severity=severity, markup=False, timeout=timeout))

    # -- loading (worker thread)
    @work(thread=True, name="load", exit_on_error=False)
    def _load(self) -> None:
        """Open (or build) the index and load the model, off the UI thread; then answer the
        questions asked meanwhile."""
        try:
            assistant = self.assistant or self._open()
            self._status(f"Loading the model {assistant.settings.model}…")
            assistant.warm_up()
            assistant.ask("warm up the index")  # loads the vector index, so the first answer is quick
            from qa.conversation import Conversation

            self.conversation = Conversation()
            self.assistant = assistant
            self.moments.ready = time.perf_counter()
            self._status(self._ready_text(), "ready")
        except QAError as error:
            self._load_failed(str(error))
        except Exception as error:  # the last line of defence: a notification, not a traceback
            self._load_failed(f"unexpected error: {type(error).__name__}: {error}")
        finally:
            # the questions asked meanwhile are answered here, so waiting for this worker waits for them
            answer_them = self._questions.open()
            self._call(self._after_load)
            if answer_them:
                self._answer_all()

    def _ready_text(self) -> str:
        files = len(self.assistant.store.file_records()) if self.assistant else 0
        return f"● Ready · {files} document{'s' * (files != 1)} indexed"

    def _opener(self) -> IndexOpener:
        may_build = self.corpus is not None or self._default_index()
        return IndexOpener(self.settings, self.index_label, self.corpus, may_build, status=self._status,
                           progress=lambda state: self._call(self._show_progress, state), notify=self._notify,
                           lock=self._index_lock)

    def _open(self) -> Assistant:
        from index.embedding import Encoder

        return self._opener().open(self.encoder or Encoder.from_settings(self.settings))

    def _show_progress(self, state: Progress) -> None:
        self.query_one(StatusBar).progress(state)

    def _load_failed(self, message: str) -> None:
        self._load_error = message
        self._status(f"✕ Not ready: {message}", "error")
        self._notify(message, "error", timeout=10)

    def _after_load(self) -> None:
        for turn in self.query(Turn):
            if turn.answer is None:
                turn.set_waiting("Searching…")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self._load_error is not None  # shown only after opening the index failed
        return True

    def action_retry(self) -> None:
        """Open the index again (e.g. once the Chroma server is up, or after `qa ingest`)."""
        if self._load_error is None:
            return
        self._load_error = None
        self._questions.close()
        self._status("Opening the index…")
        self.refresh_bindings()
        self._load()

    # -- asking
    @on(Input.Submitted, "#question")
    def _submitted(self, event: Input.Submitted) -> None:
        self.ask(event.value)

    def ask(self, question: str) -> None:
        """Ask `question` now, or as soon as the index and model are ready."""
        question = question.strip()
        try:
            checked_question(question)
        except QAError as error:  # kept in the box, to be cut down
            self.notify(str(error), severity="error", markup=False)
            return
        if self._load_error is not None:
            self.notify(f"Cannot answer: {self._load_error}", severity="error", markup=False, timeout=10)
            return
        self.history.add(question)
        self.query_one(QuestionInput).value = ""
        for welcome in self.query("#welcome"):
            welcome.remove()
        turn = Turn(question, "Searching…" if self._questions.is_open else "Waiting for the index and model to load…")
        conversation = self.query_one("#conversation", ConversationView)
        conversation.mount(turn)
        conversation.scroll_end(animate=False)
        self._questions.put((turn, time.perf_counter()))
        if self._questions.claim():  # else a worker is at it, or the index is not open yet
            self._answer_waiting()

    @work(thread=True, group="ask", exit_on_error=False)
    def _answer_waiting(self) -> None:
        """Answer the waiting questions, off the UI thread."""
        self._answer_all()

    def _answer_all(self) -> None:
        """Answer the waiting questions one at a time, in the order asked (a follow-up leans on the
        turn before), until none is left."""
        while (question := self._questions.take()) is not None:
            self._answer(*question)

    def _answer(self, turn: Turn, asked_at: float) -> None:
        """Answer one question (worker thread) and show the answer, or why there is none."""
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

    def _show_answer(self, turn: Turn, answer: Answer, asked_at: float) -> None:
        turn.show_answer(answer)
        conversation = self.query_one("#conversation", ConversationView)

        def shown() -> None:
            conversation.scroll_to_widget(turn, top=True, animate=False)
            self.moments.answers.append(time.perf_counter() - asked_at)

        self.call_after_refresh(shown)
        self.refresh_bindings()

    # -- answers and sources
    def action_focus_answers(self) -> None:
        cards = self.query_one(ConversationView).latest_cards()
        if cards:
            cards[0].focus()
        else:
            self.notify("No answers yet: type a question and press Enter", severity="information")

    def action_focus_question(self) -> None:
        self.query_one(QuestionInput).focus()

    def action_scroll_conversation(self, pages: int) -> None:
        conversation = self.query_one("#conversation", ConversationView)
        (conversation.scroll_page_down if pages > 0 else conversation.scroll_page_up)()

    @on(OpenPassage)
    def open_passage(self, message: OpenPassage) -> None:
        """Show the source of an answer's passage, checked against the file as it is now."""
        passage, card = message.passage, message.card
        answer = None if passage.answer is None else (passage.answer.start, passage.answer.end)
        if not self.show_source(passage.citation, passage.text, answer, passage.title) and card:
            for turn in card.ancestors:
                if isinstance(turn, Turn):
                    turn.add_stale(passage.citation.path)
            self.refresh_bindings()

    @on(OpenCitation)
    def open_citation(self, message: OpenCitation) -> None:
        """Show a cited file at its place."""
        self.show_source(message.citation)

    def show_source(self, citation: Citation, expected: str | None = None, answer: Offsets | None = None,
                    title: str = "") -> bool:
        """Show the cited file scrolled to the passage; False when the file no longer holds `expected`
        where the index said (it is shown all the same, with a note)."""
        try:  # the canonical text, extracted again (a PDF's, a web page's main text)
            screen = SourceScreen.of(citation, self.assistant.files.texts if self.assistant else None, expected,
                                     answer, title)
        except UnreadableFile as error:
            self.notify(f"Cannot open {citation.source}: {error.problem}", severity="error", markup=False)
            return expected is None
        self.push_screen(screen)
        return not screen.note

    @on(CopyCitation)
    def copy_citation(self, message: CopyCitation) -> None:
        """Copy `file:line` to the clipboard."""
        self.copy_to_clipboard(cite(message.citation))
        self.notify(f"Copied {cite(message.citation)}", markup=False)

    # -- re-indexing changed files
    @on(Reindex)
    def reindex(self, message: Reindex) -> None:
        """Re-index the changed files of a message, when there are any and the index is open."""
        if not message.sources:
            self.notify("Nothing to re-index: no cited file changed", severity="information")
            return
        if self.assistant is None:
            self.notify("The index is not open yet", severity="warning")
            return
        self._reindex(list(message.sources))

    @work(thread=True, group="reindex", exclusive=True, exit_on_error=False)
    def _reindex(self, sources: list[str]) -> None:
        """Re-index changed files and reopen the index, so the next question sees them."""
        names = ", ".join(display_path(s) for s in sources)
        self._status(f"Re-indexing {names}…", "indexing")
        try:
            assert self.assistant is not None
            self.assistant = self._opener().reindex(sources, self.assistant.encoder)
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
        for turn in self.query(Turn):
            turn.drop_stale(sources)
        self.refresh_bindings()

    # -- export, help
    def action_export(self) -> Path | None:
        answers = self.answers
        if not answers:
            self.notify("Nothing to export yet: ask a question first", severity="warning")
            return None
        now = datetime.now()
        path = export_path(self.export_dir or export_folder(), now)
        try:
            write_export(path, answers, self.index_label, now)
        except OSError as error:
            self.notify(f"Cannot export to {path}: {error.strerror}", severity="error", markup=False)
            return None
        self.last_export = path
        self.notify(f"Conversation saved to {path.resolve()}", title="Exported", markup=False, timeout=8)
        return path

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.settings, self.index_label))


def make_app(settings: Settings | None = None, assistant: Assistant | None = None, corpus: Path | None = None,
             history: Path | None = None, export_dir: Path | None = None, encoder: Encoder | None = None) -> QAApp:
    """The app, for `tui.py`, the tests, the snapshots and `evals.app_speed`.

    `settings` as the CLI reads them (default: `load_settings()`); an already open `assistant` (or a
    loaded `encoder`) saves loading the model again; `corpus` is indexed when the index is missing
    (without it, the bundled corpus, and only for the default index location); `history` is the
    question history file (default: $XDG_STATE_HOME/qa/history); exports go to `export_dir`
    (default: `export_folder()`, $XDG_DATA_HOME/qa/exports)."""
    settings = settings or load_settings()
    return QAApp(settings, assistant=assistant, corpus=corpus, history=history or history_file(),
                 export_dir=export_dir, encoder=encoder)
