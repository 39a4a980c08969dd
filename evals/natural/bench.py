"""`qa bench natural`: questions people ask, over collections of documents nobody on the team wrote
(evals/natural/collections.toml, docs/natural.md).

    qa bench natural [--split dev|test|all] [--collection NAME ...] [--no-reader] [--root DIR] [--report PATH] [--json]

It lays out the collections that are missing (evals/natural/install.py), ingests each into its own
cached index (only what changed is embedded again), asks every question of the chosen collections
in one run (a conversation's turns through one conversation), and scores each collection as
`qa eval` scores its set (evals/report.py `figures`): the answer in the first passage, in the top 3,
and on the first card (its passage or the title line above it: a changelog's version heading) for
answerable standalone questions, abstention recall (unanswerable questions abstained on),
false abstentions (answerable questions abstained on), citations verified against the files'
canonical text, and latency. Every miss is explained as `qa eval` explains it (evals/misses.py) in
the report. The last line pools every question of the run:
`first F top3 T card D abstain A false_abstain X questions N collections C`.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import Settings, load_settings
from evals.known import Asked, ask_all, load_set
from evals.misses import explain_miss
from evals.natural.catalog import CATALOG, Collection, load_catalog, question_problems, select
from evals.natural.install import default_root, install_missing
from evals.natural.results import CollectionRun, Results
from evals.report import figures, machine
from evals.squad_data import BenchError, guarded

if TYPE_CHECKING:
    from index.encoder_protocol import SentenceEncoder

TOP = 3  # passages per answer: "top 3"


def log(message: str) -> None:
    """Progress on standard error (the figures go to standard output)."""
    print(f"qa bench natural: {message}", file=sys.stderr, flush=True)


def ask_collection(collection: Collection, root: Path, settings: Settings, encoder: SentenceEncoder) -> CollectionRun:
    """Ingest one collection into its cached index, ask its questions, explain its misses."""
    from index.ingest import ingest
    from qa.engine import Assistant

    folder = root / collection.name
    index_settings = settings.replace(index=str(root / ".indexes" / collection.name), root="")
    report = ingest([folder], index_settings, encoder)
    if report.chunks_embedded or report.removed or report.rebuilt:
        log(f"{collection.name}: indexed: {report.summary()}")
    assistant = Assistant.open(index_settings, encoder=encoder)
    assistant.warm_up()
    cases = [case for path in collection.questions for case in load_set(path, base=folder)]
    asked: list[Asked] = ask_all(assistant, cases, TOP)
    threshold = settings.abstain_threshold
    for item in asked:
        item.why = explain_miss(item, threshold, assistant, TOP)
    run = CollectionRun(collection, asked, figures(asked, threshold, TOP), report.chunks_total)
    del assistant
    gc.collect()  # one collection's index and caches at a time
    return run


def report_paths(args: argparse.Namespace, root: Path) -> tuple[Path, Path]:
    """Where the Markdown report and the JSON beside it go."""
    if args.report:
        report = Path(args.report)
        if not report.parent.is_dir():
            raise BenchError(f"--report {report}: folder {report.parent} does not exist")
        return report, report.with_suffix(".json")
    label = "-".join(args.collection) if args.collection else args.split
    label += "-no-reader" if args.no_reader else ""
    folder = root / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"natural-{label}.md", folder / f"natural-{label}.json"


def run(args: argparse.Namespace, encoder: SentenceEncoder | None = None, argv: Sequence[str] = ()) -> int:
    """`qa bench natural` with parsed arguments (an encoder may be passed in to share a loaded model;
    `argv`, the arguments as given, for the report)."""
    from index.embedding import Encoder

    began, cpu = time.perf_counter(), time.process_time()
    catalog = Path(args.catalog) if args.catalog else CATALOG
    chosen = select(load_catalog(catalog), None if args.split == "all" else args.split, args.collection or ())
    problems = [problem for collection in chosen for problem in question_problems(collection)]
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise BenchError(problems[0] + more)
    root = Path(args.root) if args.root else default_root()
    report_path, json_path = report_paths(args, root)
    install_missing(chosen, root, log)
    settings = load_settings(reader=False if args.no_reader else None)
    encoder = encoder or Encoder.from_settings(settings)
    runs = []
    for collection in chosen:
        log(f"{collection.name}: indexing and asking")
        runs.append(ask_collection(collection, root, settings, encoder))
    command = " ".join(["qa bench natural", *argv])
    results = Results(
        runs=runs, pooled=figures([a for r in runs for a in r.asked], settings.abstain_threshold, TOP),
        command=command, when=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        machine=machine(), encoder=encoder.identity, reader=settings.reader, top_k=TOP,
        threshold=settings.abstain_threshold, root=str(root),
        wall_seconds=round(time.perf_counter() - began, 1), cpu_seconds=round(time.process_time() - cpu, 1),
    )
    try:
        report_path.write_text(results.markdown(), encoding="utf-8")
        json_path.write_text(json.dumps(results.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    except OSError as error:
        raise BenchError(f"{report_path}: cannot write the report ({error.strerror})") from None
    if args.json:
        print(json.dumps(results.to_json(), ensure_ascii=False, indent=2))
    else:
        print(results.table(report_path))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """`qa bench natural` alone, with its options."""
    parser = argparse.ArgumentParser(prog="qa bench natural", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `qa bench natural`."""
    parser.add_argument("--split", choices=["dev", "test", "all"], default="dev",
                        help="which half of the collections (default: dev, the half to tune on)")
    parser.add_argument("--collection", action="append", metavar="NAME",
                        help="only this collection, whatever its split (repeat for more)")
    parser.add_argument("--no-reader", action="store_true", help="answer without the reading model")
    parser.add_argument("--root", metavar="DIR",
                        help="where collections and their indexes are kept (default: $QA_NATURAL_ROOT or "
                             "~/.cache/qa/natural)")
    parser.add_argument("--report", metavar="PATH",
                        help="the Markdown report, with the JSON beside it (default: ROOT/reports/natural-SPLIT.md)")
    parser.add_argument("--catalog", metavar="PATH",
                        help="the collections file (default: evals/natural/collections.toml)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")


def main(argv: list[str] | None = None) -> int:
    """`qa bench natural ARGS...` alone: `python -m evals.natural.bench ARGS...`."""
    args = build_parser().parse_args(argv)
    args.given = list(sys.argv[1:] if argv is None else argv)
    return command(args)


def command(args: argparse.Namespace) -> int:
    """`qa bench natural` with its parsed options; the exit status."""
    return guarded("qa bench natural", lambda: run(args, argv=args.given))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
