"""The source viewer's document: a whole file, wrapped, with line numbers, one passage highlighted."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from index.documents.lines import line_bounds


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
        self.lines = line_bounds(text)
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

