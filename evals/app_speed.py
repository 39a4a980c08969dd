"""`qa bench app [N]` (or `python -m evals.app_speed`): how fast the app starts and answers, measured headless.

Start to usable input (the first frame with the question box focused) and start to ready (index
open, model loaded and warmed) count from the process's own start; each answer from Enter to its
cards laid out on screen. The app notes when it got there (`ui.app.Moments`); this module turns
that into figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from evals.metrics import percentile

if TYPE_CHECKING:
    from index.embedding import Encoder

QUESTIONS = PROJECT_ROOT / "evals" / "questions.jsonl"
FALLBACK_QUESTION = "when were talks suspended?"


def process_age() -> float:
    """Seconds since this process started (Linux; 0 elsewhere), to time the start-up from the very start."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


@dataclass
class Timings:
    """In milliseconds: from the process start to the first frame with the question box focused,
    and to the index and model ready; from Enter to the answer's cards laid out, for each answer."""

    usable_ms: float | None = None
    ready_ms: float | None = None
    answers_ms: list[float] = field(default_factory=list)


def known_questions(count: int) -> list[str]:
    """The first `count` questions of evals/questions.jsonl (one fallback question without it)."""
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines() if QUESTIONS.is_file() else []
    return [json.loads(line)["question"] for line in lines if line.strip()][:count] or [FALLBACK_QUESTION]


async def time_app(settings: Settings, questions: list[str], encoder: Encoder | None = None) -> Timings:
    """Run the app headless, ask `questions` one by one, and read when it got where."""
    from ui.app import make_app
    from ui.widgets import QuestionInput

    started = time.perf_counter() - process_age()
    app = make_app(settings, history=Path(os.devnull), encoder=encoder)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        if app._load_error:
            raise SystemExit(f"tui.py: {app._load_error}")
        for question in questions:
            done = len(app.moments.answers)
            app.query_one(QuestionInput).value = question
            await pilot.press("enter")
            while len(app.moments.answers) == done:
                await asyncio.sleep(0.001)
    moments = app.moments

    def since_start(moment: float | None) -> float | None:
        return None if moment is None else (moment - started) * 1000

    return Timings(since_start(moments.usable), since_start(moments.ready), [s * 1000 for s in moments.answers])


def measure(settings: Settings, count: int, encoder: Encoder | None = None) -> int:
    """Print the app's timings: start to usable input, start to ready, and Enter to the first answer
    card for `count` questions (from evals/questions.jsonl) asked one by one."""
    timings = asyncio.run(time_app(settings, known_questions(count), encoder))
    answers = timings.answers_ms
    print(f"start to usable input: {timings.usable_ms or 0:.0f} ms (first frame, question box focused)")
    print(f"start to ready: {timings.ready_ms or 0:.0f} ms (index open, model loaded and warmed)")
    print(f"Enter to first answer card, warm, {len(answers)} questions: median {percentile(answers, 0.5):.0f} ms, "
          f"p90 {percentile(answers, 0.9):.0f} ms, max {max(answers):.0f} ms")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `qa bench app`."""
    parser.add_argument("count", type=int, nargs="?", default=10, metavar="N", help="questions to ask (default 10)")
    parser.add_argument("--index", metavar="DIR|URL", help="index directory or Chroma server URL")
    parser.add_argument("--top-k", type=int, metavar="K", help="passages per answer (default 3)")
    parser.add_argument("--no-reader", action="store_true", help="answer without the reading model")


def command(args: argparse.Namespace) -> int:
    """`qa bench app [--index DIR|URL] [N]`: the app's start-up and N answers, headless; the exit status."""
    try:
        settings = load_settings(index=args.index, top_k=args.top_k, reader=False if args.no_reader else None)
    except SettingsError as error:
        print(f"qa bench app: {error}", file=sys.stderr)
        return 2
    return measure(settings, max(1, args.count))


def main(argv: list[str] | None = None) -> int:
    """`qa bench app ARGS...` alone: `python -m evals.app_speed ARGS...`."""
    parser = argparse.ArgumentParser(prog="qa bench app", description="How fast the app starts and answers, "
                                     "measured headless (the app's own timings, from the process's start).")
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.given = list(sys.argv[1:] if argv is None else argv)
    return command(args)


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    os._exit(status)  # a worker may still hold the model; the figures are printed
