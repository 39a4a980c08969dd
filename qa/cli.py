"""`qa`: ingest documents, ask questions, run the evals and benchmarks, from the shell."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from index.errors import EmptyQuestion, QAError, QuestionTooLong
from index.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from qa.passages import Answer, Passage

DEFAULT_CORPUS = PROJECT_ROOT / "corpus"


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


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(index=getattr(args, "index", None), top_k=getattr(args, "top_k", None))


def _fail(message: str, code: int = 1) -> int:
    print(f"qa: {message}", file=sys.stderr)
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


def command_ingest(args: argparse.Namespace) -> int:
    from index.embedding import Encoder
    from index.ingest import ingest

    settings = _settings(args)
    paths = [Path(p) for p in args.paths] or [DEFAULT_CORPUS]
    bar, update = _progress_bar()
    try:
        report = ingest(
            paths, settings, Encoder(settings.model), progress=update, warn=lambda m: print(f"qa: {m}", file=sys.stderr)
        )
    finally:
        if bar is not None:
            bar.close()
    for problem in report.skipped:
        print(f"qa: {problem}", file=sys.stderr)
    print(f"Indexed {settings.index}: {report.summary()}")
    indexed = report.added or report.changed or report.unchanged
    if not indexed and not report.removed:
        if report.skipped:
            return 1
        return _fail("nothing to index: give a folder or .txt/.md files that hold text")
    return 0


# ---- ask -----------------------------------------------------------------------------------------
def _questions(args: argparse.Namespace) -> Iterator[str]:
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
        if line.strip():
            yield line.rstrip("\n")


def passage_count(text: str) -> int:
    """`--top-k`: a whole number of passages from 1 to 50."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 50:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of passages from 1 to 50")
    return value


def render_answer(answer: Answer, style: Style, width: int) -> str:
    """An answer as a person reads it in a terminal."""
    out: list[str] = []
    if answer.query != answer.question:
        out.append(style.dim(f"(read as: {answer.query})"))
    if answer.abstained:
        out.append(style.bold(answer.abstain_line("Closest passages, but not an answer:")))
    elif answer.shortfall:
        out.append(style.bold(answer.caution_line()))
    for source in answer.stale:  # first: the answer below was made without them
        if os.path.exists(source):
            out.append(style.bold(f"{source} changed since it was indexed; its passages were left out "
                                  "(run `qa ingest` to refresh it)"))
        else:
            out.append(style.bold(f"{source} is gone since it was indexed; its passages were left out "
                                  "(run `qa ingest` to drop it from the index)"))
    for number, passage in enumerate(answer.passages, start=1):
        out.append(_render_passage(number, passage, style, width, dim=answer.abstained))
    return "\n".join(out)


def _render_passage(number: int, passage: Passage, style: Style, width: int, dim: bool) -> str:
    citation = f"{passage.citation.source}:{passage.citation.line}"
    head = f"{number}. {style.cite(citation)}  {style.dim(f'score {passage.score:.2f}')}"
    if passage.title:
        head += "\n   " + style.dim(passage.title)
    body = passage.text
    if passage.answer is not None and not dim:
        a, b = passage.answer.start - passage.citation.start, passage.answer.end - passage.citation.start
        body = body[:a] + "\x00" + body[a:b] + "\x00" + body[b:]
    body = " ".join(body.split())
    lines = textwrap.wrap(body, width=max(40, width - 3), break_on_hyphens=False)
    text = "\n".join("   " + line for line in lines)
    if "\x00" in text:
        first, middle, last = text.split("\x00", 2)
        text = first + style.answer(middle) + last
    if dim:
        text = style.dim(text)
    out = [head, text]
    for other in passage.also_in:
        out.append("   " + style.dim("also in ") + style.cite(f"{other.source}:{other.line}"))
    if passage.dated is not None:
        where = passage.dated.citation
        out.append("   " + style.dim(f"dated {passage.dated.text} ") + style.cite(f"{where.source}:{where.line}"))
    return "\n".join(out)


def command_ask(args: argparse.Namespace) -> int:
    from qa.engine import Assistant, Conversation

    settings = _settings(args)
    if args.question and not " ".join(args.question).strip():
        raise EmptyQuestion()
    assistant = Assistant.open(settings)
    conversation = None if args.no_context else Conversation()
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
            print(f"qa: {error}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            if not first:
                print()
            print(render_answer(answer, style, width), flush=True)
        first = False
    return status


# ---- evals and benchmarks (their own modules parse their own options) ----------------------------
def command_eval(args: argparse.Namespace) -> int:
    from evals.run import main as eval_main

    return eval_main(args.rest)


def command_bench(args: argparse.Namespace) -> int:
    if args.which == "squad":
        from evals.squad import main as squad_main

        return squad_main(args.rest)
    from evals.speed import main as speed_main

    return speed_main(args.rest)


def command_train(args: argparse.Namespace) -> int:
    from evals.train_reader import main as train_main

    return train_main(args.rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa", description="Ask questions of a folder of documents; get back verbatim passages with citations."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    index_help = "index directory or Chroma server URL (http://HOST:PORT); default: $QA_INDEX or .qa/index"
    ingest = sub.add_parser("ingest", help="index files and folders (.txt, .md); only changes are re-embedded")
    ingest.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the bundled corpus)")
    ingest.add_argument("--index", help=index_help)
    ingest.set_defaults(run=command_ingest)

    ask = sub.add_parser("ask", help="answer a question (or one per line of standard input)")
    ask.add_argument("question", nargs="*", help="the question; without it, questions are read from standard input")
    ask.add_argument("--top-k", type=passage_count, metavar="K", help="passages to show (default 3)")
    ask.add_argument("--index", help=index_help)
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.add_argument(
        "--no-context",
        action="store_true",
        help="treat every question on its own, not as a follow-up of the one before",
    )
    ask.set_defaults(run=command_ask)

    evaluate = sub.add_parser("eval", help="run the known-question evals (see `qa eval --help`)", add_help=False)
    evaluate.add_argument("rest", nargs=argparse.REMAINDER)
    evaluate.set_defaults(run=command_eval)

    bench = sub.add_parser("bench", help="benchmarks: `qa bench squad` (quality), `qa bench speed`")
    bench.add_argument("which", choices=["squad", "speed"])
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    bench.set_defaults(run=command_bench)

    train = sub.add_parser("train", help="retrain a shipped model: `qa train reader` (see its --help)")
    train.add_argument("which", choices=["reader"])
    train.add_argument("rest", nargs=argparse.REMAINDER)
    train.set_defaults(run=command_train)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # argparse's REMAINDER refuses options that come first: `qa eval`'s are passed on as given.
    args = argparse.Namespace(run=command_eval, rest=argv[1:]) if argv[:1] == ["eval"] else parser.parse_args(argv)
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
        return _fail(f"unexpected error: {type(error).__name__}: {error} (set QA_DEBUG=1 for details)")


if __name__ == "__main__":
    sys.exit(main())
