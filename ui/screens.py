"""The screens over the conversation: a cited document, and the help."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.events import Click
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Label, Static

from config.settings import Settings
from index.documents.lines import line_of
from index.documents.read import display_path
from index.terminal import visible
from index.texts import CanonicalTexts
from qa.passages import Citation
from qa.sources import load_source, page_marked
from ui.document import DocumentView
from ui.export import cite
from ui.messages import CopyCitation


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

    @classmethod
    def of(cls, citation: Citation, texts: CanonicalTexts | None, expected: str | None = None,
           answer: Offsets | None = None, title: str = "") -> SourceScreen:
        """The cited file's canonical text (`load_source`: extracted again, or a scan's as `texts` keep
        it) scrolled to the passage; with a note when the file no longer holds `expected` where the index
        said (raises UnreadableFile)."""
        source = load_source(citation.path, texts)
        text = visible(source.text)  # the answer's texts are shown so (`Turn.show_answer`), and as long
        span, marked, note = place_passage(text, citation, expected, answer)
        if span is not None:  # page breaks marked, the spans moved to match
            text, moved = page_marked(source, [*span, *(marked or ())])
            text = visible(text)
            span, marked = (moved[0], moved[1]), (moved[2], moved[3]) if marked else None
        return cls(citation, title, text, span, marked, note)

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
        self.title = visible(self.document_title or Path(self.citation.source).name)
        self.sub_title = ""
        self.query_one(DocumentView).focus()

    def action_back(self) -> None:
        self.dismiss()

    def action_copy(self) -> None:
        self.post_message(CopyCitation(self.citation))

    def action_to_passage(self) -> None:
        self.query_one(DocumentView).scroll_to_passage()


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


def welcome_text(index_label: str, example: str | None) -> Content:
    """What the app says before the first question: what an answer is, an `example` question, the keys."""
    tried = [("Try: ", "$text-muted"), (example, "$text-accent"), ("   ·   ", "$text-muted")] if example else []
    return Content.assemble(
        ("Ask a question about the documents in ", ""),
        (index_label, "bold"),
        (".\n", ""),
        ("Each answer is a set of passages quoted from the documents, the answer marked, "
         "with the file and line it comes from.\n", "$text-muted"),
        *tried,
        ("F1 for keys", "$text-muted"),
    )


class HelpScreen(ModalScreen[None]):
    """The keys, and where the answers come from."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close", key_display="esc"),
    ]

    def __init__(self, settings: Settings, index: str) -> None:
        super().__init__()
        self.settings = settings
        self.index = index  # the index as the app names it

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
                f"index {self.index} · top {self.settings.top_k} passages\n"
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



Offsets = tuple[int, int]


def place_passage(text: str, citation: Citation, expected: str | None,
                  answer: Offsets | None) -> tuple[Offsets | None, Offsets | None, str]:
    """Where a cited passage (and its answer) is in the file's `text` as it is now: (passage,
    answer, note). When the file no longer holds `expected` at the cited offsets, the passage is
    looked for elsewhere and the note says where it went, or that it is gone."""
    span: Offsets | None = (citation.start, citation.end)
    if expected is None or text[citation.start : citation.end] == expected:
        return span, answer, ""
    found = text.find(expected)
    if found < 0:
        return None, None, (f"{citation.source} changed since it was indexed and no longer holds this passage. "
                            "Press r in the answers to re-index it.")
    shift = found - citation.start
    moved = None if answer is None else (answer[0] + shift, answer[1] + shift)
    note = (f"{citation.source} changed since it was indexed; the passage is now at line "
            f"{line_of(text, found)}. Press r in the answers to re-index it.")
    return (found, found + len(expected)), moved, note
