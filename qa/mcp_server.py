"""`qa mcp`: the assistant as a Model Context Protocol server over stdio (the official `mcp` SDK), for
chat assistants, editors and agents. Tools: `ask` (cited, verbatim passages, or an abstention with
its reason), `show` (a citation with the text around it) and `sources` (the indexed documents); and
`ingest`, only with `--allow-ingest`. Each returns structured content (the records of the Python API
as JSON: `Answer.to_json`, ...) and a short text. An error is a tool error whose text is the CLI's one
line. The index and models are opened in a thread at start-up, so `initialize` is answered at once;
a call waits for them, and calls run one at a time."""

from __future__ import annotations

import io
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from config.errors import QAError
from config.settings import Settings
from qa.passages import Answer
from qa.render import abstain_line, caution_line
from qa.terminal import Style, render_answer

if TYPE_CHECKING:
    from qa.engine import Assistant

INSTRUCTIONS = (
    "Answers questions from the user's indexed documents with verbatim passages, each cited as FILE:LINE "
    "(FILE:pPAGE:LINE for a PDF). Quote passages as given and cite them; when `abstained` is true the "
    "documents do not answer (say so, with `reason`). `show` opens a citation with the text around it."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
TEXT_WIDTH = 100
MAX_TOP_K = 50


class Service:
    """The assistant behind the tools: opened in a thread at start-up (models loaded and warmed), again
    when an earlier open failed (the index was built since, say); one call at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._assistant: Assistant | None = None
        self._error: QAError | None = None
        self._opened = threading.Event()
        self._lock = threading.Lock()  # one call at a time: the assistant is not shared across threads

    def start(self) -> None:
        """Open the index in the background."""
        threading.Thread(target=self._open, name="qa-open", daemon=True).start()

    def _open(self) -> None:
        from qa.engine import Assistant

        try:
            assistant = Assistant.open(self.settings)
            assistant.warm_up()
            self._assistant, self._error = assistant, None
        except QAError as error:
            self._error = error
        finally:
            self._opened.set()

    def assistant(self) -> Assistant:
        """The open assistant, once it is (raises the QAError that kept it from opening)."""
        self._opened.wait()
        if self._assistant is None:
            self._opened.clear()
            self._open()
        if self._assistant is None:
            raise self._error or QAError(f"the index at {self.settings.index} could not be opened")
        return self._assistant

    def call(self, work: Callable[[Assistant], CallToolResult]) -> CallToolResult:
        """`work` done with the assistant, or the one line that says why not as a tool error."""
        with self._lock:
            try:
                return work(self.assistant())
            except QAError as error:
                return failure(str(error))

    def ingest(self, paths: list[str]) -> CallToolResult:
        """Index `paths` (only what changed), then answer from the new index."""
        from index.documents.read import skip_summary
        from index.embedding import Encoder
        from index.ingest import ingest

        with self._lock:
            self._opened.wait()
            try:  # the encoder of the open assistant, or its own for a new index
                encoder = self._assistant.encoder if self._assistant else Encoder.from_settings(self.settings)
                report = ingest([Path(p) for p in paths], self.settings, encoder)
            except QAError as error:
                return failure(str(error))
            self._assistant = None
            self._open()
            problems = [str(problem) for problem in report.skipped]
            lines = [f"Indexed {self.settings.index}: {report.summary()}", report.ocr_summary(),
                     skip_summary(report.skipped)]
            return result("\n".join(line for line in lines if line),
                          {"summary": report.summary(), "added": len(report.added), "changed": len(report.changed),
                           "removed": len(report.removed), "unchanged": len(report.unchanged),
                           "scanned_pages": report.ocr_pages, "skipped": problems})


def result(text: str, structured: dict[str, Any]) -> CallToolResult:
    """A tool's result: its text rendering and its structured content."""
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)


def failure(message: str) -> CallToolResult:
    """A tool error: the one line the CLI prints."""
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def answer_result(answer: Answer) -> CallToolResult:
    """An answer as the `ask` tool returns it: its JSON with each passage's citation as `show` takes it
    and the reason in words, and the answer as the terminal shows it."""
    data = answer.to_json()
    for passage, shown in zip(answer.passages, data["passages"], strict=True):  # type: ignore[call-overload]
        shown["citation"] = passage.citation.label
    data["reason"] = (abstain_line(answer, closest=False) if answer.abstained else caution_line(answer)) or None
    return result(render_answer(answer, Style(io.StringIO()), TEXT_WIDTH), data)


def build_server(settings: Settings, allow_ingest: bool = False) -> MCPServer[Service]:
    """The MCP server over the index of `settings`; `allow_ingest` adds the `ingest` tool."""
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(_: MCPServer[Service]) -> AsyncIterator[Service]:
        service.start()
        yield service

    server: MCPServer[Service] = MCPServer("qa", instructions=INSTRUCTIONS, lifespan=lifespan, log_level="WARNING")

    @server.tool(annotations=READ_ONLY)
    def ask(question: Annotated[str, Field(description="the question, in words")],
            top_k: Annotated[int | None, Field(description=f"passages to return, 1 to {MAX_TOP_K} (default 3)")]
            = None) -> CallToolResult:
        """Answer a question from the indexed documents: verbatim passages, best first, each cited
        (FILE:LINE, FILE:pPAGE:LINE), its answering words marked; or an abstention with its reason."""
        if top_k is not None and not 1 <= top_k <= MAX_TOP_K:
            return failure(f"top_k {top_k} is not a number of passages from 1 to {MAX_TOP_K}")
        return service.call(lambda assistant: answer_result(assistant.ask(question, top_k=top_k)))

    @server.tool(annotations=READ_ONLY)
    def show(citation: Annotated[str, Field(description="FILE:LINE or FILE:pPAGE:LINE, as `ask` cites it")]
             ) -> CallToolResult:
        """A cited passage with the lines around it, from the file's text as indexed."""
        def shown(assistant: Assistant) -> CallToolResult:
            text = assistant.show(citation)
            return result("\n".join((text.heading, *text.lines)), text.to_json())

        return service.call(shown)

    @server.tool(annotations=READ_ONLY)
    def sources() -> CallToolResult:
        """The indexed documents, each with its title, date, format and number of passages."""
        def listed(assistant: Assistant) -> CallToolResult:
            documents = assistant.sources()
            lines = [f"{d.date or 'undated'} · {d.source} · {d.title} ({d.format}, {d.passages} passages)"
                     for d in documents]
            return result("\n".join(lines) or "The index holds no documents.",
                          {"documents": [d.to_json() for d in documents]})

        return service.call(listed)

    if allow_ingest:
        @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False,
                                                 idempotent_hint=True, open_world_hint=False))
        def ingest(paths: Annotated[list[str], Field(description="files and folders to index")]) -> CallToolResult:
            """Index files and folders on this machine (only what changed is read again)."""
            return service.ingest(paths)

    return server


def serve(settings: Settings, allow_ingest: bool = False) -> None:
    """Serve MCP over stdin and stdout until the client closes them."""
    build_server(settings, allow_ingest).run("stdio")
