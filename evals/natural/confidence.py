"""`python -m evals.natural.confidence`: the confidence's signals of every question of the natural dev half
and of `qa eval`'s set, recorded once, then its costs and the abstain threshold searched on them.

The confidence (`qa.evidence.Evidence`, the reader's share in `qa.engine`) is a sum of signals with costs
chosen on SQuAD with its article removed and on `qa eval`; the natural dev half asks as people ask, and has
its own unanswerable questions. Each question is asked once, as `qa bench natural` and `qa eval` ask it
(with the reader), and the signals of its first passage are kept; every setting of the costs then gives
each question a confidence again, without asking. A setting is scored by the separation of answerable and
unanswerable questions on the dev half (ROC AUC), and by what the threshold `qa eval --calibrate` would
choose gives on both sets. The test half is never asked.

    python -m evals.natural.confidence [--rows FILE] [--root DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.settings import PROJECT_ROOT, Settings, load_settings
from config.tuning import TUNED
from evals import metrics
from evals.known import DEFAULT_SETS, KnownConversation, KnownQuestion, each_turn, load_set
from evals.natural.catalog import CATALOG, load_catalog, select
from evals.natural.install import default_root, install_missing

if TYPE_CHECKING:
    from qa.engine import Assistant
    from qa.evidence import Evidence


@dataclass(frozen=True)
class Signals:
    """One question's first-passage signals (`Evidence`), as `qa.engine` weighs them."""

    dense: float
    lacking: float
    numbers_missing: float
    no_answer: bool
    kind: str
    unknown: int
    foreign: float
    unsaid: float


@dataclass(frozen=True)
class Row:
    """One question asked: which set, whether it has an answer, the signals, the reader's reading."""

    set: str
    answerable: bool
    turn: bool
    withheld: bool  # abstained whatever the threshold (no passage, a version no document says)
    confidence: float  # as the engine gave it
    signals: tuple[Signals, ...]  # the first passage's; a second when the reader moved it
    read: float | None  # the reader's probability that the first passage answers


def signals_of(evidence: Evidence) -> Signals:
    """The parts of `evidence` that its total is made of."""
    return Signals(evidence.dense, evidence.lacking, evidence.numbers_missing, evidence.no_answer,
                   evidence.kind.name, len(evidence.unknown_names), evidence.foreign, evidence.unsaid)


@contextmanager
def recording(assistant: Assistant) -> Iterator[tuple[list[Evidence], list[float]]]:
    """While open, every Evidence the judge weighs (`qa.judge.Judge.evidence`) and the reader's first
    reading of each read by `assistant`, kept in the two lists it gives."""
    from qa.judge import Judge

    evidences: list[Evidence] = []
    readings: list[float] = []
    weigh = Judge.evidence
    reader = assistant.reader()

    def evidence(self: Judge, *args: Any, **kwargs: Any) -> Evidence:
        found = weigh(self, *args, **kwargs)
        evidences.append(found)
        return found

    Judge.evidence = evidence  # type: ignore[method-assign]
    read = reader.read if reader is not None else None
    if reader is not None and read is not None:

        def reading(question: str, passages: list[str]) -> list[Any]:
            out = read(question, passages)
            readings.append(getattr(out[0], TUNED.reader_score) if out else float("nan"))
            return out

        reader.read = reading  # type: ignore[method-assign]
    try:
        yield evidences, readings
    finally:
        Judge.evidence = weigh  # type: ignore[method-assign]
        if reader is not None:
            del reader.read  # the instance's own wrapper: the class's method again


def ask_set(name: str, assistant: Assistant, cases: Sequence[KnownQuestion | KnownConversation]) -> list[Row]:
    """Ask every case (a conversation's turns through one Conversation) and keep each question's signals."""
    rows: list[Row] = []
    with recording(assistant) as (evidences, readings):
        for known, conversation in each_turn(cases):
            evidences.clear()
            readings.clear()
            answer = assistant.ask(known.question, conversation, top_k=3)
            withheld = answer.abstained and not metrics.abstains_at(answer.confidence,
                                                                     assistant.settings.abstain_threshold)
            rows.append(Row(name, known.answerable, conversation is not None, withheld or not evidences,
                            answer.confidence, tuple(signals_of(e) for e in evidences[:2]),
                            readings[0] if readings else None))
    return rows


def record(root: Path, settings: Settings) -> list[Row]:
    """Every question of the natural dev half and of `qa eval`'s set, asked once."""
    from index.embedding import Encoder
    from index.ingest import ingest
    from qa.engine import Assistant

    encoder = Encoder.from_settings(settings)
    rows: list[Row] = []
    collections = select(load_catalog(CATALOG), "dev")
    install_missing(collections, root, log=lambda line: print(line, file=sys.stderr))
    for collection in collections:
        folder = root / collection.name
        index_settings = settings.replace(index=str(root / ".indexes" / collection.name), root="")
        ingest([folder], index_settings, encoder)
        cases = [case for path in collection.questions for case in load_set(path, base=folder)]
        rows += ask_set("natural_dev", Assistant.open(index_settings, encoder=encoder), cases)
        print(f"confidence: {collection.name} asked", file=sys.stderr)
    ingest([PROJECT_ROOT / "corpus"], settings, encoder)
    cases = [case for path in DEFAULT_SETS for case in load_set(path)]
    rows += ask_set("qa_eval", Assistant.open(settings, encoder=encoder), cases)
    return rows


@dataclass(frozen=True)
class Costs:
    """The weights of the confidence's signals (`qa.evidence.Evidence.total`, the reader's share)."""

    lacking: float = TUNED.lacking_cost
    numbers_missing: float = TUNED.numbers_missing_cost
    missing_number: float = TUNED.missing_number_cost
    missing_date: float = TUNED.missing_date_cost
    missing_answer: float = TUNED.missing_answer_cost
    unknown_name: float = TUNED.unknown_name_cost
    foreign: float = TUNED.foreign_cost
    reader: float = TUNED.reader_weight


def total(s: Signals, costs: Costs) -> float:
    """`Evidence.total` under `costs`."""
    missing = {"NUMBER": costs.missing_number, "DATE": costs.missing_date}.get(s.kind, costs.missing_answer)
    return (s.dense - costs.lacking * s.lacking - costs.numbers_missing * s.numbers_missing
            - (missing if s.no_answer else 0.0) - costs.unknown_name * s.unknown - costs.foreign * s.foreign)


def confidence(row: Row, costs: Costs) -> float:
    """The engine's confidence for `row` under `costs` (-inf: abstained whatever the threshold)."""
    if row.withheld or not row.signals:
        return -math.inf
    squashed = min(1.0 / (1.0 + math.exp(-TUNED.confidence_steepness * total(s, costs))) for s in row.signals)
    read = row.read if row.read is not None and not math.isnan(row.read) else 0.0
    return squashed + costs.reader * read * (1 - row.signals[0].unsaid)


def figures(rows: list[Row], costs: Costs, threshold: float) -> dict[str, float]:
    """Abstained on unanswerable, and falsely on answerable (turns included), under `threshold`."""
    scored = [(row.answerable, confidence(row, costs)) for row in rows]
    unanswerable = [c for a, c in scored if not a]
    answerable = [c for a, c in scored if a]
    return {"abstain": sum(metrics.abstains_at(c, threshold) for c in unanswerable) / max(1, len(unanswerable)),
            "false_abstain": sum(metrics.abstains_at(c, threshold) for c in answerable) / max(1, len(answerable))}


def judge(rows: list[Row], costs: Costs, fit_on: tuple[str, ...]) -> dict[str, Any]:
    """One setting: the dev half's AUC, the threshold the calibration rule chooses on `fit_on`, and what
    it gives on each set."""
    chosen = [row for row in rows if row.set in fit_on]
    threshold = metrics.choose_abstain_threshold([confidence(r, costs) for r in chosen if r.answerable],
                                                 [confidence(r, costs) for r in chosen if not r.answerable])
    dev = [row for row in rows if row.set == "natural_dev"]
    auc = metrics.separation([confidence(r, costs) for r in dev if r.answerable and not r.turn],
                             [confidence(r, costs) for r in dev if not r.answerable])
    out: dict[str, Any] = {**asdict(costs), "dev_auc": round(auc or 0.0, 4), "threshold": round(threshold, 5)}
    for name in ("natural_dev", "qa_eval"):
        out[name] = {k: round(v, 3) for k, v in figures([r for r in rows if r.set == name], costs, threshold).items()}
    return out


GRID = {
    "lacking": (0.5, 1.0, 1.5, 2.0),
    "missing_answer": (0.0, 0.25, 0.5),
    "unknown_name": (0.25, 0.5, 1.0, 2.0),
    "foreign": (0.25, 0.5, 1.0),
    "reader": (0.25, 0.5, 1.0),
}


def search(rows: list[Row], fit_on: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every setting of `GRID`, the best by the dev half's abstentions first (false abstentions at most as
    the rule allows on the sets fitted on), then by its AUC."""
    trials = []
    for values in itertools.product(*GRID.values()):
        trials.append(judge(rows, Costs(**dict(zip(GRID, values, strict=True))), fit_on))
    trials.sort(key=lambda t: (-t["natural_dev"]["abstain"] + t["natural_dev"]["false_abstain"], -t["dev_auc"]))
    return trials


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.natural.confidence", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=Path, default=None, help="the recorded signals: read if there, else written")
    parser.add_argument("--root", type=Path, default=None, help="where the collections are laid out")
    parser.add_argument("--fit-on", default="natural_dev,qa_eval", help="the sets the threshold is chosen on")
    args = parser.parse_args(argv)
    if args.rows is not None and args.rows.is_file():
        rows = [Row(**{**r, "signals": tuple(Signals(**s) for s in r["signals"])})
                for r in json.loads(args.rows.read_text())]
    else:
        rows = record(args.root or default_root(), load_settings())
        if args.rows is not None:
            args.rows.write_text(json.dumps([asdict(r) for r in rows]))
    fit_on = tuple(args.fit_on.split(","))
    in_use = judge(rows, Costs(), fit_on)
    as_run = {name: figures([r for r in rows if r.set == name], Costs(), load_settings().abstain_threshold)
              for name in ("natural_dev", "qa_eval")}
    drift = max(abs(confidence(r, Costs()) - r.confidence) for r in rows if not r.withheld and r.signals)
    print(json.dumps({"questions": {n: sum(r.set == n for r in rows) for n in ("natural_dev", "qa_eval")},
                      "recomputed_drift": drift, "as_run": as_run, "in_use": in_use,
                      "best": search(rows, fit_on)[:12]}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
