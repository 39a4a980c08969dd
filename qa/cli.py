"""The product's commands, `qa ingest`, `ask`, `show` and `mcp`, and the parser and error handling every
`qa` command shares. The console script is `cli.py` at the top, which adds `qa eval`, `qa bench` and
`qa train` to the same tree at the edge: nothing here imports evals/ or models/."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from config.errors import EmptyQuestion, QAError, QuestionTooLong, known_failure
from config.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from index.terminal import visible
from qa.terminal import Style, render_answer

DEFAULT_CORPUS = PROJECT_ROOT / "corpus"


NO_READER_HELP = "answer without the reading model (retrieval and answer rules only; $QA_READER=0)"


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(index=getattr(args, "index", None), top_k=getattr(args, "top_k", None),
                         root=getattr(args, "root", None), reader=False if getattr(args, "no_reader", False) else None)


def say(text: str = "", file: TextIO | None = None, **options: Any) -> None:
    """Print `text` with its control characters shown, never sent (`index.terminal.visible`): a
    document, a file name or a question cannot drive the terminal."""
    print(visible(text), file=file, **options)


def _fail(message: str, code: int = 1) -> int:
    say(f"qa: {message}", file=sys.stderr)
    return code


# ---- ingest --------------------------------------------------------------------------------------
def _progress_bar() -> tuple[object, object]:
    if not sys.stderr.isatty():
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="chunk", file=sys.stderr, dynamic_ncols=True, desc="Embedding", leave=False)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return bar, update


def _page_bar() -> tuple[list[Any], Callable[[int, int], None] | None]:
    """A bar that counts scanned pages read by OCR, shown from the first one (none off a terminal)."""
    if not sys.stderr.isatty():
        return [], None
    bars: list[Any] = []

    def update(done: int, total: int) -> None:
        if not bars:
            from tqdm import tqdm

            bars.append(tqdm(total=total, unit="page", file=sys.stderr, dynamic_ncols=True, desc="Reading scans",
                             leave=False, position=1))
        bars[0].total, bars[0].n = total, done
        bars[0].refresh()

    return bars, update


def command_ingest(args: argparse.Namespace) -> int:
    from index.documents.formats.ocr import PageReader
    from index.documents.read import display_path
    from index.embedding import Encoder
    from index.ingest import IngestInterrupted, ingest

    settings = _settings(args)
    paths = [Path(p) for p in args.paths] or [DEFAULT_CORPUS]
    bar, update = _progress_bar()
    page_bars, pages_read = _page_bar()
    try:
        report = ingest(paths, settings, Encoder.from_settings(settings), progress=update,
                        follow_links=args.follow_links, ocr=PageReader(pages_read),
                        warn=lambda m: say(f"qa: {m}", file=sys.stderr),
                        waiting=lambda m: say(f"qa: {m}", file=sys.stderr, flush=True))
    except IngestInterrupted as interrupted:
        if bar is not None:
            bar.close()
        return _fail(str(interrupted), 130)
    finally:
        for each in (bar, *page_bars):
            if each is not None:
                each.close()
    # formats (issue 12): a file of a format we do not read is counted in the summary line (named
    # with --verbose); any other problem (corrupt, encrypted, no text layer, ...) gets its own line
    from index.documents.read import skip_summary

    for problem in report.skipped:
        if args.verbose or problem.kind not in ("unsupported format", "not text"):
            say(f"qa: {problem}", file=sys.stderr)
    for source, suffix in report.misnamed:  # "notes.txt" saved from a browser as the page's HTML
        say(f"qa: {display_path(source)}: holds {CONTENT_NAMES[suffix]}, read as one (rename it to {suffix})",
              file=sys.stderr)
    if args.verbose:
        for status, sources in (("added", report.added), ("changed", report.changed),
                                ("unchanged", report.unchanged), ("removed", report.removed)):
            for source in sources:
                left, lines = report.lines_left_out.get(source, (0, 0))
                counted = f"  ({left:,} of {lines:,} lines left out: not prose)" if left else ""
                share, how = report.kept.get(source, (None, ""))
                kept = f"  kept {share:.0%} of its words{f' ({how})' if how else ''}" if share is not None else ""
                say(f"  {status:9} {display_path(source)}{kept}{counted}")
    say(f"Indexed {settings.index}: {report.summary()}")
    if late := report.texts_summary():
        say(late)
    if read := report.ocr_summary():
        say(read)
    if left_out := report.left_out_summary():
        say(left_out)
    if low := report.kept_summary():
        say(low)
    if report.skipped:
        summary = skip_summary(report.skipped)
        say(summary[:1].upper() + summary[1:])
    indexed = report.added or report.changed or report.unchanged
    if not indexed and not report.removed:
        if report.skipped:
            return 1
        return _fail("nothing to index: give a folder or .txt, .md, .html, .pdf or .docx files that hold text")
    return 0


CONTENT_NAMES = {".pdf": "a PDF", ".docx": "a Word document", ".html": "a web page"}  # index.documents.formats.sniffed


# ---- ask -----------------------------------------------------------------------------------------
def _questions(args: argparse.Namespace) -> Iterator[str]:
    """The questions to answer: the command line's, or the lines of standard input. With --json every
    line gets its line of output (a blank one an error), so that answers stay beside their questions."""
    if args.question:
        yield " ".join(args.question)
        return
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            try:
                line = input("? ")
            except EOFError:
                print()
                return
        else:
            line = sys.stdin.readline()
            if not line:
                return
        line = line.rstrip("\n")
        if line.strip() or (args.json and not interactive):
            yield line


def json_line(value: object) -> str:
    """One JSON line, with the characters that `str.splitlines()` breaks on (U+2028, U+2029, U+0085)
    escaped, so a reader that splits lines gets one object a line; so are DEL, the C1 controls
    (U+009B is CSI to some terminals) and lone surrogates, which json.dumps leaves raw."""
    return UNESCAPED.sub(lambda found: f"\\u{ord(found.group()):04x}", json.dumps(value, ensure_ascii=False))


UNESCAPED = re.compile("[\u2028\u2029\x7f-\x9f\ud800-\udfff]")


def passage_count(text: str) -> int:
    """`--top-k`: a whole number of passages from 1 to 50."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 50:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of passages from 1 to 50")
    return value


def command_ask(args: argparse.Namespace) -> int:
    from qa.conversation import Conversation
    from qa.engine import Assistant

    settings = _settings(args)
    if args.question and not " ".join(args.question).strip():
        raise EmptyQuestion()
    assistant = Assistant.open(settings)
    # a terminal session is a conversation; lines from a pipe or file are separate questions
    chained = (args.conversation or (not args.question and sys.stdin.isatty())) and not args.no_context
    conversation = Conversation() if chained else None
    if not args.question and sys.stdin.isatty():
        print("Loading the model…", end="", file=sys.stderr, flush=True)
        assistant.warm_up()
        print("\rAsk a question about the documents (Ctrl-D to quit).", file=sys.stderr)
    style = Style(sys.stdout)
    width = min(100, shutil.get_terminal_size((100, 24)).columns)
    status = 0
    first = True
    for question in _questions(args):
        try:
            answer = assistant.ask(question, conversation, top_k=args.top_k)
        except (EmptyQuestion, QuestionTooLong) as error:  # the next question may be fine
            say(f"qa: {error}", file=sys.stderr)
            if args.json:  # one line per question, so that answers can be matched to questions
                print(json_line({"question": question, "error": str(error)}), flush=True)
            status = 1 if question.strip() else status  # a blank line of a batch is no failed question
            continue
        if args.json:
            print(json_line(answer.to_json()), flush=True)
        else:
            if not first:
                print()
            print(render_answer(answer, style, width), flush=True)
        first = False
    return status


# ---- show (formats, issue 12) --------------------------------------------------------------------
def command_show(args: argparse.Namespace) -> int:
    from index.store import Store
    from qa.show import show

    shown = show(args.citation, Store(_settings(args)))
    say(shown.heading)
    say("\n".join(shown.lines))
    return 0


# ---- mcp (issue 29) ------------------------------------------------------------------------------
def command_mcp(args: argparse.Namespace) -> int:
    from qa.mcp_server import serve

    serve(_settings(args), allow_ingest=args.allow_ingest)
    return 0


# ---- the parser and the shared error handling ---------------------------------------------------
AddCommand = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def build_parser(commands: Sequence[AddCommand] = ()) -> argparse.ArgumentParser:
    """`qa ingest`, `qa ask`, then the `commands` that an outer layer adds (each adds a subparser
    whose `run` default takes the parsed arguments)."""
    parser = argparse.ArgumentParser(
        prog="qa", description="Ask questions of a folder of documents; get back verbatim passages with citations."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    index_help = "index directory or Chroma server URL (http://HOST:PORT); default: $QA_INDEX or .qa/index"
    root_help = ("the corpus folder on this machine: files under it are stored relative to it, so a team that "
                 "shares one index each reads its own copy (default: $QA_ROOT)")
    ingest = sub.add_parser(
        "ingest", help="index files and folders (.txt, .md, .html, .pdf, .docx); only changes are re-embedded"
    )
    ingest.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the bundled corpus)")
    ingest.add_argument("--index", help=index_help)
    ingest.add_argument("--root", metavar="DIR", help=root_help)
    ingest.add_argument("--verbose", "-v", action="store_true", help="list every file and what was done with it")
    ingest.add_argument("--follow-links", action="store_true",
                        help="read files and folders that links lead to outside the folders named (not by default)")
    ingest.set_defaults(run=command_ingest)

    show = sub.add_parser("show", help="print a cited passage with the text around it (report.pdf:p3:12)")
    show.add_argument("citation", help="FILE:LINE or FILE:pPAGE:LINE, as an answer cites it")
    show.add_argument("--index", help=index_help)
    show.add_argument("--root", metavar="DIR", help=root_help)
    show.set_defaults(run=command_show)

    ask = sub.add_parser("ask", help="answer a question (or one per line of standard input)")
    ask.add_argument("question", nargs="*", help="the question; without it, questions are read from standard input")
    ask.add_argument("--top-k", type=passage_count, metavar="K", help="passages to show (default 3)")
    ask.add_argument("--index", help=index_help)
    ask.add_argument("--root", metavar="DIR", help=root_help)
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.add_argument("--no-reader", action="store_true", help=NO_READER_HELP)
    ask.add_argument(
        "--no-context",
        action="store_true",
        help="treat every question on its own, not as a follow-up of the one before",
    )
    ask.add_argument(
        "--conversation",
        action="store_true",
        help="read questions from a pipe or file as one conversation (a terminal session always is one)",
    )
    ask.set_defaults(run=command_ask)

    mcp = sub.add_parser("mcp", help="serve the index to AI assistants, editors and agents (MCP over stdio)")
    mcp.add_argument("--index", help=index_help)
    mcp.add_argument("--root", metavar="DIR", help=root_help)
    mcp.add_argument("--top-k", type=passage_count, metavar="K", help="passages an answer gives (default 3)")
    mcp.add_argument("--no-reader", action="store_true", help=NO_READER_HELP)
    mcp.add_argument("--allow-ingest", action="store_true",
                     help="offer an `ingest` tool that indexes files (without it the server only reads)")
    mcp.set_defaults(run=command_mcp)

    for add in commands:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None, commands: Sequence[AddCommand] = ()) -> int:
    """Run one `qa` command; `commands` add the branches an outer layer owns (cli.py: evals, benchmarks)."""
    parser = build_parser(commands)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except (QAError, SettingsError) as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return 0
    except Exception as error:  # the last line of defence: one line, not a traceback
        if os.environ.get("QA_DEBUG"):
            raise
        known = known_failure(error, getattr(args, "index", None) or os.environ.get("QA_INDEX") or "the index")
        if known is not None:
            return _fail(str(known))
        return _fail(f"unexpected error: {type(error).__name__}: {error} (set QA_DEBUG=1 for details)")


if __name__ == "__main__":
    sys.exit(main())
