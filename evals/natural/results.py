"""The results of a `qa bench natural` run: a row per collection, the pooled closing line, and the
report (Markdown, every miss explained; JSON beside it so that a later run can be compared)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from evals.known import Asked
from evals.natural.catalog import Collection
from evals.report import by_kind

# (figure of evals.report.figures, column heading)
COLUMNS = (("answer_at_1", "first"), ("answer_at_k", "top3"), ("card_at_1", "card"), ("abstain_recall", "abstain"),
           ("wrongly_abstained", "false_abstain"), ("followup_answer_at_1", "follow-ups"),
           ("citation_validity", "citations"), ("latency_p50_ms", "p50 ms"), ("latency_p95_ms", "p95 ms"))


def share(value: float | None) -> str:
    """A share as 0.452, or n/a."""
    return "n/a" if value is None else f"{value:.3f}"


def _cell(name: str, value: float | None) -> str:
    if name.endswith("_ms"):
        return "n/a" if value is None else f"{value:.0f}"
    return share(value)


@dataclass
class CollectionRun:
    """One collection's questions as asked, and its figures."""

    collection: Collection
    asked: list[Asked]
    values: dict[str, float | None]
    chunks: int

    @property
    def counts(self) -> dict[str, int]:
        standalone = [a for a in self.asked if a.known.turn == 0]
        return {"questions": len(standalone), "answerable": sum(a.known.answerable for a in standalone),
                "unanswerable": sum(not a.known.answerable for a in standalone),
                "turns": sum(a.known.turn > 0 for a in self.asked)}

    @property
    def misses(self) -> list[str]:
        return [a.why.line for a in self.asked if a.why is not None]

    @property
    def causes(self) -> dict[str, int]:
        return dict(Counter(a.why.cause for a in self.asked if a.why is not None).most_common())


@dataclass
class Results:
    """Every collection's figures and the pooled ones, with what the run was."""

    runs: list[CollectionRun]
    pooled: dict[str, float | None]
    command: str
    when: str
    machine: str
    encoder: str
    reader: bool
    top_k: int
    threshold: float
    root: str
    wall_seconds: float
    cpu_seconds: float

    @property
    def questions(self) -> int:
        return sum(run.counts["questions"] for run in self.runs)

    def closing_line(self) -> str:
        """The one line every run ends with."""
        p = self.pooled
        return (f"first {share(p['answer_at_1'])} top3 {share(p['answer_at_k'])} card {share(p['card_at_1'])} "
                f"abstain {share(p['abstain_recall'])} false_abstain {share(p['wrongly_abstained'])} "
                f"questions {self.questions} collections {len(self.runs)}")

    def heading(self) -> str:
        return (f"{self.when}, {self.machine}; encoder {self.encoder}, reader {'on' if self.reader else 'off'}, "
                f"top {self.top_k}, abstain threshold {self.threshold}; {self.wall_seconds} s wall, "
                f"{self.cpu_seconds} s CPU (this process)")

    def rows(self) -> list[list[str]]:
        out = []
        for run in self.runs:
            c = run.counts
            out.append([run.collection.name, run.collection.split, f"{c['answerable']}+{c['unanswerable']}",
                        str(c["turns"]), *(_cell(name, run.values.get(name)) for name, _ in COLUMNS),
                        str(len(run.misses))])
        return out

    def header(self) -> list[str]:
        return ["collection", "split", "questions", "turns", *(label for _, label in COLUMNS), "misses"]

    def table(self, report: Path | None = None) -> str:
        """The terminal table: a row per collection, then the closing line."""
        rows = [self.header(), *self.rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [f"qa bench natural: {self.heading()}", ""]
        lines += ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                            enumerate(zip(row, widths, strict=True))) for row in rows]
        lines += ["", "questions: answerable+unanswerable; first, top3, card (the first passage with its title line): "
                      "answerable standalone questions; abstain, false_abstain, citations, latency: every question and "
                      "turn asked"]
        if report is not None:
            lines.append(f"every miss explained in {report}")
        lines.append(self.closing_line())
        return "\n".join(lines)

    def markdown(self) -> str:
        """The report for people: the table, then each collection's kinds and misses."""
        lines = ["# qa bench natural", "", f"`{self.command}`: {self.heading()}.", "",
                 "| " + " | ".join(self.header()) + " |", "|" + "---|" * len(self.header())]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows()]
        lines += ["", f"`{self.closing_line()}`", "",
                  "questions: answerable+unanswerable standalone questions; first, top3: the answerable ones; "
                  "card: the first passage with the title line its card shows above it; "
                  "follow-ups: conversation turns after the first, answer in the first passage; abstain, "
                  "false_abstain, citations and latency: every question and turn asked.", ""]
        for run in self.runs:
            kinds = by_kind(run.asked, self.threshold)
            lines += [f"## {run.collection.name} ({run.collection.split}: {run.collection.kind})", "",
                      f"{run.chunks} chunks. By kind (right/asked): "
                      + ", ".join(f"{k} {r}/{n}" for k, (r, n) in kinds.items()) + ".", ""]
            misses = run.misses
            lines.append(f"Misses ({len(misses)}: " + ", ".join(f"{c} {n}" for c, n in run.causes.items()) + "):"
                         if misses else "Misses: none.")
            lines += ["", *(f"- {miss}" for miss in misses), ""]
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {
            "command": self.command, "when": self.when, "machine": self.machine, "encoder": self.encoder,
            "reader": self.reader, "top_k": self.top_k, "abstain_threshold": self.threshold, "root": self.root,
            "wall_seconds": self.wall_seconds, "cpu_seconds": self.cpu_seconds, "pooled": self.pooled,
            "closing_line": self.closing_line(),
            "collections": {
                run.collection.name: {
                    "split": run.collection.split, "kind": run.collection.kind, "chunks": run.chunks,
                    "counts": run.counts, "figures": run.values, "miss_causes": run.causes,
                    "questions": [{
                        "id": a.known.id, "kind": a.known.kind, "turn": a.known.turn, "question": a.known.question,
                        "answerable": a.known.answerable, "abstained": a.abstains(self.threshold),
                        "confidence": round(a.answer.confidence, 4),
                        "passages": [p.citation.label for p in a.answer.passages],
                        "ms": round(a.answer.seconds * 1000, 1), "miss": a.why.line if a.why else None,
                    } for a in run.asked],
                } for run in self.runs
            },
        }
