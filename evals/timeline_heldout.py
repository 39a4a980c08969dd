"""`qa bench timeline`: the timeline eval held out, on a dated corpus built from public text on
this machine (the Debian changelogs of installed packages, one file per upload; see
`evals/changelogs.py`), with questions and gold (date, answer) pairs read off the entries' fields.

    qa bench timeline [--packages less,curl,...] [--entries N] [--json]

It builds the corpus in qa's cache folder (timeline-heldout/), ingests it, asks each question and
prints, per kind of question: questions, pairs expected and shown, precision and recall (scored as
`evals/timeline.py` scores the in-repo set), the share of present questions led by the newest
upload, and the share of documents whose date was found, and found right (against the entry's
own date).
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import sys
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import load_settings, user_dir
from evals import changelogs
from evals.changelogs import ChangelogCase, ChangelogEntry
from evals.squad_data import BenchError, guarded
from evals.timeline import TimelineScore, score_timeline, shown_pairs
from qa.sources import load_source

if TYPE_CHECKING:
    from qa.engine import Assistant
    from qa.passages import Answer


def log(message: str) -> None:
    """Progress on standard error (the figures go to standard output)."""
    print(f"qa bench timeline: {message}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    return user_dir("cache") / "timeline-heldout"


def gather_entries(packages: list[str], limit: int) -> list[ChangelogEntry]:
    """The newest `limit` entries of each package's installed changelog; a package not installed,
    or entries that cannot be read, are named on standard error."""
    found, unreadable = changelogs.installed_changelogs()
    missing = [p for p in packages if p not in found]
    if missing:
        log(f"not installed here, left out: {', '.join(missing)}"
            + (f" ({len(unreadable)} changelogs could not be read, e.g. {unreadable[0]})" if unreadable else ""))
    entries: list[ChangelogEntry] = []
    for package in packages:
        if package in found:
            own, unreadable = changelogs.read_entries(found[package], limit)
            if unreadable:
                log(f"{found[package]}: {unreadable} entries without a readable trailer, left out")
            entries.extend(own)
    if not entries:
        raise BenchError(f"no Debian changelog of {', '.join(packages)} under /usr/share/doc "
                         "(name installed source packages with --packages)")
    return entries


def date_figures(assistant: Assistant, written: dict[Path, ChangelogEntry]) -> dict[str, int]:
    """How many built documents the index holds, how many it dates, and how many it dates right
    (the entry's own date), each date found as answering finds it."""
    records = assistant.store.file_records()
    dated = right = 0
    for path, entry in written.items():
        record = records.get(str(path.resolve()))
        source = assistant.files.get(str(path.resolve())) if record else None
        date = assistant.lookups.date_of(source, record.source, record.title) if source and record else None
        dated += date is not None
        right += date == entry.iso
    return {"documents": len(written), "indexed": sum(str(p.resolve()) in records for p in written),
            "dated": dated, "dated_right": right}


def quotable(written: dict[Path, ChangelogEntry], cases: list[ChangelogCase]) -> dict[str, int]:
    """Of each kind's gold pairs, how many have their answer inside text the assistant can quote
    (a prose block of the entry's document, as answering reads it): a ceiling on its recall."""
    blocks = {}
    for path, entry in written.items():
        source = load_source(str(path))
        blocks[entry] = [source.text[b.start : b.end] for b in source.blocks]
    counts: dict[str, int] = {}
    for held in cases:
        for date, answer in held.case.pairs:
            giving = [e for e in blocks if (e.package, e.iso, getattr(e, held.field)) == (held.package, date, answer)]
            counts[held.kind] = counts.get(held.kind, 0) + any(answer in text for e in giving for text in blocks[e])
    return counts | {"all": sum(counts.values())}


class AnswerRecorder:
    """An assistant that keeps the answer it gives to each question, so that the pairs shown can be
    reported question by question."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.answers: dict[str, Answer] = {}

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        answer = self.assistant.ask(question, top_k=top_k)
        self.answers[question] = answer
        return answer


def score_by_kind(assistant: AnswerRecorder, cases: list[ChangelogCase], top_k: int) -> dict[str, dict]:  # type: ignore[type-arg]
    """The timeline figures of each kind of question, and of all (each question asked once)."""
    scores: dict[str, TimelineScore] = {}
    for kind in dict.fromkeys(held.kind for held in cases):
        scores[kind] = score_timeline(assistant, [held.case for held in cases if held.kind == kind], top_k)  # type: ignore[arg-type]
    scores["all"] = TimelineScore(*(sum(getattr(s, f.name) for s in scores.values()) for f in fields(TimelineScore)))
    questions = {kind: sum(held.kind == kind for held in cases) for kind in scores} | {"all": len(cases)}
    return {kind: {"questions": questions[kind], **asdict(score), **score.figures()} for kind, score in scores.items()}


def benchmark(packages: list[str], limit: int) -> dict:  # type: ignore[type-arg]
    """Build, ingest and ask; every figure of the run."""
    from index.embedding import Encoder
    from index.ingest import ingest
    from qa.engine import Assistant

    began = time.perf_counter()
    root = cache_root()
    entries = gather_entries(packages, limit)
    corpus = root / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)  # rewritten whole; unchanged files are not embedded again
    written = changelogs.write_corpus(entries, corpus)
    cases = changelogs.timeline_cases(entries)
    settings = load_settings().replace(index=str(root / "index"))
    encoder = Encoder.from_settings(settings)
    log(f"{len(written)} entries of {len({e.package for e in entries})} packages in {corpus}; ingesting")
    report = ingest([corpus], settings, encoder)
    assistant = Assistant.open(settings, encoder=encoder)
    log(f"{report.chunks_total} chunks; asking {len(cases)} questions")
    recorder = AnswerRecorder(assistant)
    kinds = score_by_kind(recorder, cases, settings.top_k)
    for kind, count in quotable(written, cases).items():
        kinds[kind]["quotable"] = count
    return {"when": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), "machine": _machine(),
            "encoder": encoder.identity,
            "corpus": str(corpus), "packages": sorted({e.package for e in entries}), "entries": len(written),
            "chunks": report.chunks_total, "top_k": settings.top_k, "dates": date_figures(assistant, written),
            "kinds": kinds, "seconds": round(time.perf_counter() - began, 1),
            "cases": [{"kind": h.kind, "id": h.case.id, "question": h.case.question, "pairs": h.case.pairs,
                       "latest": h.case.latest, "shown": shown_pairs(recorder.answers[h.case.question])}
                      for h in cases]}


def _machine() -> str:
    from evals.report import machine

    return machine()


def _share(part: float | None) -> str:
    return "–" if part is None else f"{part:.2f}"


def table(figures: dict) -> str:  # type: ignore[type-arg]
    """One row per kind of question, then the documents' dates."""
    dates = figures["dates"]
    head = ("questions", "kind", "pairs expected", "pairs shown", "precision", "recall", "newest leads",
            "answer quotable")
    lines = [f"qa bench timeline: {figures['when']}, {figures['machine']}, encoder {figures['encoder']}, "
             f"top_k {figures['top_k']}, {figures['seconds']} s",
             f"corpus: {figures['entries']} Debian changelog entries of {len(figures['packages'])} packages, "
             f"{figures['chunks']} chunks ({figures['corpus']})", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for kind, row in figures["kinds"].items():
        led = f"{row['present_led']}/{row['present']}" if row["present"] else "–"
        cells = (str(row["questions"]), kind, str(row["expected"]), str(row["shown"]),
                 _share(row["timeline_precision"]), _share(row["timeline_recall"]), led,
                 f"{row['quotable']}/{row['expected']}")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for kind in dict.fromkeys(case["kind"] for case in figures["cases"]):  # the first question of each kind
        case = next(c for c in figures["cases"] if c["kind"] == kind)
        shown = "; ".join(f"{d} {a!r}" for d, a in case["shown"][:3]) or "nothing"
        lines.append(f"e.g. {case['question']!r}: expected {len(case['pairs'])} pairs such as "
                     f"{case['pairs'][-1][0]} {case['pairs'][-1][1]!r}; shown {shown}")
    total = dates["documents"]
    lines += ["", f"documents dated: {dates['dated']}/{total} ({dates['dated'] / total:.2f}); "
                  f"with the entry's own date: {dates['dated_right']}/{total} ({dates['dated_right'] / total:.2f})"]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `qa bench timeline`."""
    parser.add_argument("--packages", default=",".join(changelogs.PACKAGES),
                        help="Debian source packages, comma-separated")
    parser.add_argument("--entries", type=int, default=changelogs.ENTRIES_PER_PACKAGE, metavar="N",
                        help=f"newest entries of each package (default {changelogs.ENTRIES_PER_PACKAGE})")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")


def command(args: argparse.Namespace) -> int:
    """`qa bench timeline ARGS...`."""
    if args.entries < 2:
        print(f"qa bench timeline: --entries {args.entries}: give 2 or more (a timeline needs two dates)",
              file=sys.stderr)
        return 2

    def report() -> int:
        figures = benchmark([p.strip() for p in args.packages.split(",") if p.strip()], args.entries)
        figures = {"command": " ".join(["qa bench timeline", *args.given]), **figures}
        (cache_root() / "figures.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
        print(json.dumps(figures, indent=2) if args.json else table(figures))
        return 0

    return guarded("qa bench timeline", report)


def main(argv: list[str] | None = None) -> int:
    """`qa bench timeline ARGS...` alone: `python -m evals.timeline_heldout ARGS...`."""
    parser = argparse.ArgumentParser(prog="qa bench timeline", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.given = list(sys.argv[1:] if argv is None else argv)
    return command(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
