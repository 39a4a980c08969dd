"""`qa eval`: ask the known questions in one process, score the answers, explain every miss, and
gate on the thresholds in `evals/thresholds.toml`.

    qa eval [FILE ...] [--top-k K] [--json] [--report PATH] [--calibrate] [--index DIR] [--thresholds PATH]

Each FILE holds one JSON object a line: a question `{"id", "question", "answers", "sources", "kind"}`
(empty `answers`: the corpus cannot answer it) or a conversation `{"id", "turns": [question, ...]}`
asked turn by turn in one conversation. Sources are paths relative to the project's root.

Which questions each figure covers:
- answer in first passage / in top k, source recall@k, MRR@k: the answerable standalone questions;
  they look at the passages whatever the abstain decision (that has figures of its own);
- follow-ups: the conversation turns after the first, answer in the first passage;
- abstention, citations and latency: every question asked, standalone or in a conversation.
Exit status: 0 when every gated figure meets its threshold, 1 when one does not, 2 for bad input.

This module runs the command; the work is split by job: `evals.known` (the question files, asking,
citation checks), `evals.misses` (why a question missed), `evals.report` (figures, gate,
calibration, the report), `evals.metrics` (the figures as pure functions).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import PROJECT_ROOT, load_settings, write_setting
from evals.known import DEFAULT_SETS, DEFAULT_THRESHOLDS, EvalInputError, ask_all, load_set, shown
from evals.report import calibrate, load_thresholds, score
from evals.squad_data import guarded

if TYPE_CHECKING:
    from index.encoder_protocol import SentenceEncoder


def build_parser() -> argparse.ArgumentParser:
    """`qa eval` alone, with its options."""
    parser = argparse.ArgumentParser(
        prog="qa eval",
        description="Ask the known questions, score the answers, explain every miss, and gate on thresholds.",
        epilog="Exit status: 0 when every gated figure meets its threshold, 1 when one does not, 2 for bad input.",
    )
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `qa eval`."""
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="question files, JSON lines (default: evals/questions.jsonl evals/conversations.jsonl)")
    parser.add_argument("--top-k", type=int, metavar="K", help="passages per answer (default: the settings' top_k)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    parser.add_argument("--report", metavar="PATH", help="also write a Markdown report for people")
    parser.add_argument("--calibrate", action="store_true",
                        help="choose the abstain threshold from this set and write it into the settings file")
    parser.add_argument("--index", help="index directory or Chroma URL (default: $QA_INDEX or .qa/index)")
    parser.add_argument("--no-reader", action="store_true", help="answer without the reading model")
    parser.add_argument("--thresholds", metavar="PATH", help=f"the gate (default: {shown(DEFAULT_THRESHOLDS)})")


def run(args: argparse.Namespace, encoder: SentenceEncoder | None = None) -> int:
    """`qa eval` with parsed arguments (an encoder may be passed in to share a loaded model)."""
    from index.embedding import Encoder
    from index.ingest import ingest
    from qa.engine import Assistant

    if args.top_k is not None and args.top_k < 1:
        raise EvalInputError(f"--top-k {args.top_k}: give a number of passages of 1 or more")
    paths = [Path(f) for f in args.files] or list(DEFAULT_SETS)
    cases = [case for path in paths for case in load_set(path)]
    thresholds = load_thresholds(Path(args.thresholds) if args.thresholds else DEFAULT_THRESHOLDS)
    if args.report:
        report_path = Path(args.report)
        if not report_path.parent.is_dir():
            raise EvalInputError(f"--report {report_path}: folder {report_path.parent} does not exist")

    settings = load_settings(index=args.index, top_k=args.top_k, reader=False if args.no_reader else None)
    encoder = encoder or Encoder.from_settings(settings)
    indexed = ingest([PROJECT_ROOT / "corpus"], settings, encoder)
    if indexed.chunks_embedded or indexed.removed or indexed.rebuilt:
        print(f"qa eval: indexed the bundled corpus into {settings.index}: {indexed.summary()}", file=sys.stderr)
    assistant = Assistant.open(settings, encoder=encoder)
    assistant.warm_up()
    top_k = settings.top_k
    asked = ask_all(assistant, cases, top_k)
    sets = [shown(p) for p in paths]

    threshold = settings.abstain_threshold
    calibration = None
    if args.calibrate:
        calibration = calibrate(asked, threshold)
        written = write_setting("abstain_threshold", calibration.threshold)
        calibration = replace(calibration, written_to=str(written))
        threshold = calibration.threshold
        if os.environ.get("QA_ABSTAIN_THRESHOLD"):
            print("qa eval: QA_ABSTAIN_THRESHOLD is set and overrides the settings file; unset it to use "
                  "the calibrated value", file=sys.stderr)
    report = score(asked, assistant, settings, sets, top_k, threshold, thresholds, calibration)

    if args.report:
        try:
            Path(args.report).write_text(report.markdown(), encoding="utf-8")
        except OSError as error:
            raise EvalInputError(f"--report {args.report}: cannot write it ({error.strerror})") from None
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(report.table())
        if args.report:
            print(f"report written to {args.report}")
    if args.calibrate:
        return 0  # calibrating sets the threshold; gating is `qa eval` without --calibrate
    return 1 if report.failed else 0


def main(argv: list[str] | None = None) -> int:
    """`qa eval ARGS...` alone: `python -m evals.run ARGS...`."""
    args = build_parser().parse_args(argv)
    args.given = list(sys.argv[1:] if argv is None else argv)
    return command(args)


def command(args: argparse.Namespace) -> int:
    """`qa eval` with its parsed options; the exit status."""
    return guarded("qa eval", lambda: run(args), failure=2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

