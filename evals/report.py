"""The figures of a `qa eval` run, the gate on them (evals/thresholds.toml), the calibration of the
abstain threshold, and the report for people (table, JSON, Markdown)."""

from __future__ import annotations

import datetime
import math
import os
import platform
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import Settings
from evals import metrics
from evals.known import Asked, EvalInputError, shown
from evals.misses import Miss, explain_miss
from evals.timeline import load_cases, score_timeline

if TYPE_CHECKING:
    from qa.engine import Assistant

# ---- the figures ----------------------------------------------------------------------------------
FIGURES: dict[str, str] = {
    "answer_at_1": "answer in first passage",
    "answer_at_k": "answer in top {k}",
    "card_at_1": "answer on the first card (its title line too)",
    "source_recall_at_k": "source recall@{k}",
    "mrr_at_k": "MRR@{k}",
    "citation_validity": "citations verified against files",
    "abstain_precision": "abstention precision",
    "abstain_recall": "abstention recall (unanswerable)",
    "wrongly_abstained": "answerable wrongly abstained",
    "followup_answer_at_1": "follow-ups: answer in first passage",
    "correct_as_shown": "right as shown (answer first / abstained)",
    "timeline_precision": "timeline: (date, answer) pairs shown that are right",
    "timeline_recall": "timeline: (date, answer) pairs of the documents shown",
    "timeline_latest_first": "timeline: 'current' questions led by the newest",
    "latency_p50_ms": "latency p50 (ms)",
    "latency_p95_ms": "latency p95 (ms)",
}
SHARES = {name for name in FIGURES if not name.endswith("_ms") and not name.startswith("mrr")}


def figures(asked: Sequence[Asked], threshold: float, k: int) -> dict[str, float | None]:
    """Every figure of a run, abstaining under `threshold`."""
    standalone = [a.outcome(threshold) for a in asked if a.known.turn == 0]
    follow_ups = [a.outcome(threshold) for a in asked if a.known.turn > 1]
    everything = [a.outcome(threshold) for a in asked]
    held = metrics.abstention([o.abstained for o in everything], [not o.answerable for o in everything])
    right = [
        (not o.abstained and metrics.answer_rank(o, 1) == 1) if o.answerable else o.abstained for o in standalone
    ]
    p50 = metrics.percentile([o.seconds for o in everything], 0.50)
    p95 = metrics.percentile([o.seconds for o in everything], 0.95)
    return {
        "answer_at_1": metrics.answer_at(standalone, 1),
        "answer_at_k": metrics.answer_at(standalone, k),
        "card_at_1": metrics.card_at_1(standalone),
        "source_recall_at_k": metrics.mean_source_recall(standalone, k),
        "mrr_at_k": metrics.mean_reciprocal_rank(standalone, k),
        "citation_validity": metrics.citation_validity(everything),
        "abstain_precision": held.precision,
        "abstain_recall": held.recall,
        "wrongly_abstained": held.wrongly_abstained,
        "followup_answer_at_1": metrics.answer_at(follow_ups, 1),
        "correct_as_shown": sum(right) / len(right) if right else None,
        "latency_p50_ms": None if p50 is None else round(p50 * 1000, 1),
        "latency_p95_ms": None if p95 is None else round(p95 * 1000, 1),
    }


def by_kind(asked: Sequence[Asked], threshold: float) -> dict[str, tuple[int, int]]:
    """(right, asked) per kind of standalone question: answer in first passage, or abstained when unanswerable."""
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for item in asked:
        if item.known.turn:
            continue
        outcome = item.outcome(threshold)
        kind = item.known.kind or ("answerable" if outcome.answerable else "unanswerable")
        total[kind] += 1
        right[kind] += outcome.abstained if not outcome.answerable else metrics.answer_rank(outcome, 1) == 1
    return {kind: (right[kind], total[kind]) for kind in sorted(total)}


# ---- the gate -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Thresholds:
    """Lowest (or highest) acceptable value of each gated figure, from thresholds.toml."""

    minimum: dict[str, float] = field(default_factory=dict)
    maximum: dict[str, float] = field(default_factory=dict)
    path: str = ""

    def bound(self, name: str) -> str:
        if name in self.minimum:
            return "≥ " + _value(name, self.minimum[name])
        if name in self.maximum:
            return "≤ " + _value(name, self.maximum[name])
        return ""


def load_thresholds(path: Path) -> Thresholds:
    """The gate: `[minimum]` and `[maximum]` tables of figure names and values."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalInputError(f"{path}: no such thresholds file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise EvalInputError(f"{path}: not a valid thresholds file ({error})") from None
    tables: dict[str, dict[str, float]] = {"minimum": {}, "maximum": {}}
    for table, values in data.items():
        if table not in tables or not isinstance(values, dict):
            raise EvalInputError(f"{path}: unknown table [{table}] (use [minimum] and [maximum])")
        for name, value in values.items():
            if name not in FIGURES:
                raise EvalInputError(f"{path}: unknown figure {name!r} (known: {', '.join(FIGURES)})")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise EvalInputError(f"{path}: {name} = {value!r} is not a number")
            tables[table][name] = float(value)
    return Thresholds(tables["minimum"], tables["maximum"], str(path))


def breaches(values: dict[str, float | None], thresholds: Thresholds) -> list[str]:
    """One line per gated figure that misses its threshold (a figure with no value is not gated)."""
    failed = []
    for name, low in thresholds.minimum.items():
        value = values.get(name)
        if value is not None and value < low - 1e-12:
            failed.append(f"{name} = {_value(name, value)} is below its minimum {_value(name, low)}")
    for name, high in thresholds.maximum.items():
        value = values.get(name)
        if value is not None and value > high + 1e-12:
            failed.append(f"{name} = {_value(name, value)} is above its maximum {_value(name, high)}")
    return failed


def _value(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if name in SHARES:
        return f"{value * 100:.1f} %"
    return f"{value:.3f}" if name.startswith("mrr") else f"{value:.1f}"


# ---- calibration ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Calibration:
    """The abstain threshold chosen from a run, what it gives on the set, and a leave-one-out estimate."""

    threshold: float
    previous: float
    fitted: metrics.Abstention
    leave_one_out: metrics.Abstention
    separation: float | None = None
    note: str = ""
    written_to: str = ""

    def to_json(self) -> dict[str, object]:
        def held(a: metrics.Abstention) -> dict[str, float | None]:
            return {"precision": a.precision, "recall": a.recall, "wrongly_abstained": a.wrongly_abstained}

        return {
            "threshold": self.threshold,
            "previous": self.previous,
            "rule": metrics.CALIBRATION_RULE,
            "fitted_on": {"answerable": self.fitted.answerable, "unanswerable": self.fitted.unanswerable},
            "on_the_set": held(self.fitted),
            "leave_one_out": held(self.leave_one_out),
            "separation_auc": self.separation,
            "note": self.note,
            "written_to": self.written_to,
        }

    def lines(self) -> list[str]:
        def held(a: metrics.Abstention) -> str:
            return (f"precision {_value('abstain_precision', a.precision)}, "
                    f"recall {_value('abstain_recall', a.recall)}, "
                    f"answerable wrongly abstained {_value('wrongly_abstained', a.wrongly_abstained)}")

        fitted_on = self.fitted.answerable + self.fitted.unanswerable
        return [
            f"abstain_threshold = {self.threshold} (was {self.previous}); written to {self.written_to}",
            f"rule: {metrics.CALIBRATION_RULE}",
            f"fitted on {fitted_on} questions ({self.fitted.answerable} answerable, "
            f"{self.fitted.unanswerable} unanswerable); scored on the questions it was fitted on, it looks "
            "better than it will do on new ones: the leave-one-out line is the fairer estimate",
            f"  on those questions: {held(self.fitted)}",
            f"  leave-one-out (each question scored by a threshold fitted on the others): {held(self.leave_one_out)}",
            "  how well confidence separates answerable from unanswerable, whatever the threshold (ROC AUC, "
            f"0.5 is chance): {'n/a' if self.separation is None else f'{self.separation:.3f}'}",
            *([f"  {self.note}"] if self.note else []),
        ]


def calibrate(asked: Sequence[Asked], previous: float) -> Calibration:
    """Choose the abstain threshold from the answerable and unanswerable questions of a run."""
    # An answer withheld whatever the threshold counts as abstained at any threshold (-inf).
    answerable = [-math.inf if a.withheld_anyway else a.answer.confidence for a in asked if a.known.answerable]
    unanswerable = [a.answer.confidence for a in asked if not a.known.answerable and not a.withheld_anyway]
    threshold = metrics.choose_abstain_threshold(answerable, unanswerable)
    everything = [a.outcome(threshold) for a in asked]
    fitted = metrics.abstention([o.abstained for o in everything], [not o.answerable for o in everything])
    note = ""
    if unanswerable and answerable and not any(metrics.abstains_at(c, threshold) for c in unanswerable):
        allowed = math.floor(metrics.MAX_WRONGLY_ABSTAINED * len(answerable) + 1e-9)
        cap = sorted(answerable)[min(allowed, len(answerable) - 1)]
        note = (f"no threshold catches an unanswerable question within the limit: {allowed} answerable "
                f"questions may be abstained on, and the next answerable confidence, {cap:.3f}, is not above "
                f"the lowest unanswerable one, {min(unanswerable):.3f}; the confidence score must separate "
                "them better before abstaining can work")
    return Calibration(threshold, previous, fitted, metrics.leave_one_out(answerable, unanswerable),
                       metrics.separation(answerable, unanswerable), note)


# ---- the run and its outputs ------------------------------------------------------------------------
@dataclass
class Report:
    """Everything one `qa eval` run found."""

    settings: Settings
    sets: list[str]
    asked: list[Asked]
    top_k: int
    threshold: float
    values: dict[str, float | None]
    thresholds: Thresholds
    failed: list[str]
    misses: list[Miss]
    kinds: dict[str, tuple[int, int]]
    calibration: Calibration | None = None
    when: str = field(default_factory=lambda: datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))

    @property
    def counts(self) -> dict[str, int]:
        standalone = [a for a in self.asked if a.known.turn == 0]
        turns = [a for a in self.asked if a.known.turn > 0]
        return {
            "questions": len(standalone),
            "answerable": sum(a.known.answerable for a in standalone),
            "unanswerable": sum(not a.known.answerable for a in standalone),
            "conversations": len({a.known.conversation for a in turns}),
            "turns": len(turns),
            "follow_ups": sum(a.known.turn > 1 for a in turns),
        }

    @property
    def causes(self) -> dict[str, int]:
        """How many misses each cause accounts for, most first."""
        return dict(Counter(miss.cause for miss in self.misses).most_common())

    def heading(self) -> str:
        c = self.counts
        return (
            f"{c['questions']} questions ({c['answerable']} answerable, {c['unanswerable']} unanswerable) and "
            f"{c['turns']} conversation turns ({c['follow_ups']} follow-ups) over {self.settings.index}; "
            f"top {self.top_k}, abstain threshold {self.threshold}"
        )

    def rows(self) -> list[tuple[str, str, str, str]]:
        out = []
        for name, label in FIGURES.items():
            value = self.values.get(name)
            bound = self.thresholds.bound(name)
            verdict = ""
            if bound:
                failed = any(line.startswith(f"{name} =") for line in self.failed)
                verdict = "n/a" if value is None else "FAIL" if failed else "ok"
            out.append((label.format(k=self.top_k), _value(name, value), bound, verdict))
        return out

    def table(self) -> str:
        rows = self.rows()
        width = max(len(r[0]) for r in rows)
        lines = [f"qa eval: {self.heading()}", ""]
        lines.append(f"{'figure':<{width}}  {'value':>8}  {'gate':<11}")
        for label, value, bound, verdict in rows:
            lines.append(f"{label:<{width}}  {value:>8}  {bound:<11}  {verdict}".rstrip())
        lines.append("")
        lines.append("by kind (right/asked): " + ", ".join(f"{k} {r}/{n}" for k, (r, n) in self.kinds.items()))
        lines.append("")
        if self.misses:
            causes = ", ".join(f"{cause} {count}" for cause, count in self.causes.items())
            lines.append(f"misses ({len(self.misses)}: {causes}):")
        else:
            lines.append("misses: none")
        lines.extend(f"  {miss}" for miss in self.misses)
        if self.calibration:
            lines.append("")
            lines.append("calibration:")
            lines.extend(f"  {line}" for line in self.calibration.lines())
        lines.append("")
        if self.failed:
            lines.append(f"gate FAILED ({self.thresholds.path}):")
            lines.extend(f"  {line}" for line in self.failed)
        else:
            lines.append(f"gate passed ({shown(self.thresholds.path)})")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {
            "when": self.when,
            "machine": machine(),
            "index": self.settings.index,
            "sets": self.sets,
            "top_k": self.top_k,
            "abstain_threshold": self.threshold,
            "counts": self.counts,
            "figures": self.values,
            "thresholds": {"minimum": self.thresholds.minimum, "maximum": self.thresholds.maximum},
            "passed": not self.failed,
            "failures": self.failed,
            "by_kind": {k: {"right": r, "asked": n} for k, (r, n) in self.kinds.items()},
            "miss_causes": self.causes,
            "misses": [{"id": m.id, "cause": m.cause, "why": m.line} for m in self.misses],
            "calibration": self.calibration.to_json() if self.calibration else None,
            "questions": [
                {
                    "id": a.known.id,
                    "kind": a.known.kind,
                    "turn": a.known.turn,
                    "question": a.known.question,
                    "query": a.answer.query,
                    "answerable": a.known.answerable,
                    "abstained": a.abstains(self.threshold),
                    "confidence": round(a.answer.confidence, 4),
                    "answer_rank": metrics.answer_rank(a.outcome(self.threshold), self.top_k),
                    "passages": [f"{shown(p.citation.path)}:{p.citation.line}" for p in a.answer.passages],
                    "ms": round(a.answer.seconds * 1000, 1),
                    "miss": a.why.line if a.why else None,
                }
                for a in self.asked
            ],
        }

    def markdown(self) -> str:
        lines = [
            "# Eval report",
            "",
            f"{self.when} on {machine()}. {self.heading()}.",
            "",
            f"Question files: {', '.join(self.sets)}. Command: `qa eval`"
            + (" --calibrate" if self.calibration else "") + ".",
            "",
            "| figure | value | gate | |",
            "|---|---|---|---|",
        ]
        lines.extend(f"| {label} | {value} | {bound} | {verdict} |" for label, value, bound, verdict in self.rows())
        lines += ["", "Answer figures cover the standalone answerable questions; follow-ups the conversation "
                  "turns after the first; abstention, citations and latency every question asked.", ""]
        lines += ["## By kind", "", "| kind | right | asked |", "|---|---|---|"]
        lines.extend(f"| {k} | {r} | {n} |" for k, (r, n) in self.kinds.items())
        lines += ["", f"## Misses ({len(self.misses)})", ""]
        if self.misses:
            lines += [", ".join(f"{cause}: {count}" for cause, count in self.causes.items()) + ".", ""]
        lines.extend(f"- {miss}" for miss in self.misses) if self.misses else lines.append("None.")
        if self.calibration:
            lines += ["", "## Calibration", ""]
            lines.extend(f"- {line}" for line in self.calibration.lines())
        lines += ["", "## Gate", ""]
        if self.failed:
            lines.append(f"FAILED ({shown(self.thresholds.path)}):")
            lines.extend(f"- {line}" for line in self.failed)
        else:
            lines.append(f"Passed ({shown(self.thresholds.path)}).")
        return "\n".join(lines) + "\n"


def machine() -> str:
    """The machine a run happened on, in a few words."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def score(asked: list[Asked], assistant: Assistant, settings: Settings, sets: list[str], top_k: int,
          threshold: float, thresholds: Thresholds, calibration: Calibration | None = None) -> Report:
    """Figures, misses and the gate verdict of a run, abstaining under `threshold`."""
    for item in asked:
        item.why = explain_miss(item, threshold, assistant, top_k)
    values = figures(asked, threshold, top_k)
    values.update(score_timeline(assistant, load_cases(), top_k).figures())
    return Report(
        settings=settings, sets=sets, asked=asked, top_k=top_k, threshold=threshold, values=values,
        thresholds=thresholds, failed=breaches(values, thresholds),
        misses=[a.why for a in asked if a.why is not None], kinds=by_kind(asked, threshold), calibration=calibration,
    )

