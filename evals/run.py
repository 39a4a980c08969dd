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
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import sys
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from evals import metrics
from evals.metrics import Outcome
from index.errors import QAError
from index.settings import PROJECT_ROOT, Settings, SettingsError, load_settings, write_setting
from qa.passages import Answer, Citation

EVALS = Path(__file__).resolve().parent
DEFAULT_SETS = (EVALS / "questions.jsonl", EVALS / "conversations.jsonl")
DEFAULT_THRESHOLDS = EVALS / "thresholds.toml"
RANK_LIMIT = 1000  # ranks beyond this are shown as ">1000"


class EvalInputError(QAError):
    """A question file, thresholds file or report path that cannot be used."""


# ---- the known questions ------------------------------------------------------------------------
@dataclass(frozen=True)
class KnownQuestion:
    """One question with its acceptable answers and the corpus files that answer it."""

    id: str
    question: str
    answers: tuple[str, ...]
    sources: tuple[str, ...]  # as written in the set, relative to the project's root
    kind: str = ""
    turn: int = 0  # 0 for a standalone question, 1.. for the turns of a conversation
    conversation: str = ""  # the conversation's id, for a turn

    @property
    def paths(self) -> tuple[str, ...]:
        """The gold sources as the index names them (absolute paths)."""
        return tuple(str(resolve_source(s)) for s in self.sources)

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class KnownConversation:
    """Questions asked one after another in one conversation; each turn is scored."""

    id: str
    turns: tuple[KnownQuestion, ...]


Case = KnownQuestion | KnownConversation


def resolve_source(source: str) -> Path:
    """A source path from a question file, relative to the project's root unless absolute."""
    return Path(os.path.abspath(PROJECT_ROOT / Path(source).expanduser()))


def shown(path: str | Path) -> str:
    """A path relative to the project's root where it lies under it."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _question(data: object, where: str, case: str = "", turn: int = 0) -> KnownQuestion:
    if not isinstance(data, dict) or not isinstance(data.get("question"), str) or not data["question"].strip():
        raise EvalInputError(f"{where}: no \"question\" text (each line needs question, answers, sources)")
    answers, sources = data.get("answers", []), data.get("sources", [])
    for name, value in (("answers", answers), ("sources", sources)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise EvalInputError(f"{where}: \"{name}\" must be a list of strings")
    if answers and not sources:
        raise EvalInputError(f"{where}: answerable question without \"sources\" (name the files that answer it)")
    for source in sources:
        if not resolve_source(source).is_file():
            raise EvalInputError(f"{where}: source {source} does not exist (paths are relative to {PROJECT_ROOT})")
    ident = str(data.get("id") or (f"{case}#{turn}" if case else where))
    kind = str(data.get("kind") or ("follow-up" if turn > 1 else "conversation" if turn else ""))
    return KnownQuestion(ident, data["question"], tuple(answers), tuple(sources), kind, turn, case)


def load_set(path: Path) -> list[Case]:
    """The questions and conversations of one JSON-lines file, checked line by line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise EvalInputError(f"{path}: no such question file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise EvalInputError(f"{path}: cannot read it ({error})") from None
    cases: list[Case] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{shown(path)}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise EvalInputError(f"{where}: not JSON ({error.msg}); one JSON object a line") from None
        if isinstance(data, dict) and "turns" in data:
            ident = str(data.get("id") or where)
            turns = data["turns"]
            if not isinstance(turns, list) or not turns:
                raise EvalInputError(f"{where}: \"turns\" must be a non-empty list of questions")
            cases.append(KnownConversation(ident, tuple(
                _question(turn, f"{where} turn {i}", ident, i) for i, turn in enumerate(turns, start=1)
            )))
        else:
            cases.append(_question(data, where))
    if not cases:
        raise EvalInputError(f"{path}: no questions in it")
    return cases


# ---- checking citations against the files, independently of the assistant -----------------------
class FileTexts:
    """Cited files read straight from disk (once per run), to check citations against."""

    def __init__(self) -> None:
        self._texts: dict[str, str | None] = {}

    def get(self, path: str) -> str | None:
        if path not in self._texts:
            try:
                self._texts[path] = Path(path).read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                self._texts[path] = None
        return self._texts[path]


def citation_problem(citation: Citation, files: FileTexts, text: str | None = None) -> str | None:
    """What is wrong with a citation (file unreadable, text not at its offsets, wrong line), or None."""
    content = files.get(citation.path)
    where = f"{shown(citation.path)}:{citation.line}"
    if content is None:
        return f"{where}: the cited file cannot be re-read"
    if not 0 <= citation.start < citation.end <= len(content):
        return f"{where}: offsets {citation.start}-{citation.end} lie outside the file"
    if text is not None and content[citation.start : citation.end] != text:
        return f"{where}: the file does not hold the passage's text at {citation.start}-{citation.end}"
    line = content.count("\n", 0, citation.start) + 1
    if line != citation.line:
        return f"{where}: offset {citation.start} is on line {line}, not {citation.line}"
    return None


def check_answer_citations(answer: Answer, files: FileTexts) -> tuple[int, list[str]]:
    """Every passage and agreeing source of an answer checked against its file: (checked, problems)."""
    checked, problems = 0, []
    for passage in answer.passages:
        checked += 1
        problem = citation_problem(passage.citation, files, passage.text)
        span = passage.answer
        if problem is None and span is not None and not (
            passage.citation.start <= span.start <= span.end <= passage.citation.end
        ):
            problem = f"{shown(passage.citation.path)}:{passage.citation.line}: answer span lies outside the passage"
        if problem:
            problems.append(problem)
        for other in passage.also_in:
            checked += 1
            problem = citation_problem(other, files)
            if problem:
                problems.append(problem)
    return checked, problems


# ---- asking -------------------------------------------------------------------------------------
@dataclass
class Asked:
    """One known question, what the assistant answered, and how its citations checked out."""

    known: KnownQuestion
    answer: Answer
    citations_checked: int
    citation_problems: list[str]
    asked_under: float = 0.0  # the abstain threshold the engine answered under
    why: Miss | None = None  # set by `score` when it is a miss

    @property
    def withheld_anyway(self) -> bool:
        """Whether the engine abstained for a reason other than its threshold (e.g. no passage)."""
        return self.answer.abstained and not metrics.abstains_at(self.answer.confidence, self.asked_under)

    def abstains(self, threshold: float) -> bool:
        """Whether the engine abstains on this answer under `threshold`: as it did, under its own."""
        if threshold == self.asked_under:
            return self.answer.abstained
        return self.withheld_anyway or metrics.abstains_at(self.answer.confidence, threshold)

    def outcome(self, threshold: float) -> Outcome:
        """The scored form of this answer, abstaining as the engine does under `threshold`."""
        answer = self.answer
        return Outcome(
            answers=self.known.answers,
            sources=self.known.paths,
            passages=tuple(p.text for p in answer.passages),
            cited=tuple((p.citation.path, *(c.path for c in p.also_in)) for p in answer.passages),
            abstained=self.abstains(threshold),
            confidence=answer.confidence,
            seconds=answer.seconds,
            citations_checked=self.citations_checked,
            citations_valid=self.citations_checked - len(self.citation_problems),
        )


def ask_all(assistant, cases: Sequence[Case], top_k: int) -> list[Asked]:  # type: ignore[no-untyped-def]
    """Ask every question, each conversation through one Conversation, checking every citation."""
    from qa.engine import Conversation

    files = FileTexts()
    asked: list[Asked] = []

    def ask(known: KnownQuestion, conversation: Conversation | None) -> None:
        answer = assistant.ask(known.question, conversation, top_k=top_k)
        checked, problems = check_answer_citations(answer, files)
        asked.append(Asked(known, answer, checked, problems, assistant.settings.abstain_threshold))

    for case in cases:
        if isinstance(case, KnownConversation):
            conversation = Conversation()
            for turn in case.turns:
                ask(turn, conversation)
        else:
            ask(case, None)
    return asked


# ---- why a question missed ----------------------------------------------------------------------
@dataclass(frozen=True)
class GoldPlace:
    """Where the best chunk of a question's gold sources ranked for its query."""

    chunk: str  # the chunk's id
    where: str  # file:line of the chunk
    holds_answer: bool  # whether the chunk's text holds a gold answer
    lexical: int | None  # rank among all chunks by BM25 (None: no query term in it, or beyond RANK_LIMIT)
    dense: int | None  # rank among all chunks by similarity (None: beyond RANK_LIMIT)
    fused: int | None  # rank after fusion (None: outside the BM25 and dense candidates)
    read: int  # how many fused chunks the assistant reads sentences from
    candidates: int  # how many chunks each retriever contributes to fusion


def locate_gold(assistant, query: str, known: KnownQuestion) -> GoldPlace | None:  # type: ignore[no-untyped-def]
    """Where the gold sources' best chunk ranked in BM25, in dense search and after fusion."""
    from qa.engine import SENTENCE_POOL

    paths = list(known.paths)
    got = assistant.store.chunks.get(where={"source": {"$in": paths}}, include=["documents", "metadatas"])
    if not got["ids"]:
        return None
    limit = min(RANK_LIMIT, assistant.store.count())
    lexical = {key: rank for rank, (key, _) in enumerate(assistant.lexical.search(query, limit), start=1)}
    vector = assistant.encoder.encode([query])[0]
    dense = {key: rank for rank, (key, _) in enumerate(assistant.store.nearest(vector, limit), start=1)}
    retriever = assistant.retriever
    fused = {c.chunk.id: c.ranks.fused for c in retriever.search(query, k=2 * retriever.candidates, vector=vector)}
    chunks = [
        (key, text, meta) for key, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    ]
    holding = [c for c in chunks if metrics.holds_answer(c[1], known.answers)]
    pool = holding or chunks
    unranked = 10**9

    def order(chunk: tuple[str, str, dict]) -> tuple[int, int, int]:  # type: ignore[type-arg]
        key = chunk[0]
        return (fused.get(key, unranked), lexical.get(key, unranked), dense.get(key, unranked))

    key, _, meta = min(pool, key=order)
    return GoldPlace(
        chunk=key,
        where=f"{shown(meta['source'])}:{meta['line']}",
        holds_answer=bool(holding),
        lexical=lexical.get(key),
        dense=dense.get(key),
        fused=fused.get(key),
        read=SENTENCE_POOL,
        candidates=retriever.candidates,
    )


def _rank(rank: int | None, missing: str) -> str:
    return f"#{rank}" if rank is not None else missing


def _first(answer: Answer) -> str:
    if not answer.passages:
        return "no passage"
    citation = answer.passages[0].citation
    return f"passage 1 is {shown(citation.path)}:{citation.line}"


@dataclass(frozen=True)
class Miss:
    """Why one question missed: a cause (retrieval, passage choice, ...) and the line that explains it."""

    id: str
    cause: str
    line: str

    def __str__(self) -> str:
        return self.line


def explain_miss(asked: Asked, threshold: float, assistant, k: int) -> Miss | None:  # type: ignore[no-untyped-def]
    """Why a question missed (None when it did not): what went wrong, where its gold chunk ranked in
    BM25, in dense search and after fusion, and what the abstain threshold did, in one line."""
    known, answer = asked.known, asked.answer
    abstained = asked.abstains(threshold)
    if abstained and asked.withheld_anyway:
        verdict = f"abstained whatever the threshold (no passage, or another rule; confidence {answer.confidence:.3f})"
    elif abstained:
        verdict = f"abstained (confidence {answer.confidence:.3f} < threshold {threshold:.3f})"
    else:
        verdict = f"not abstained (confidence {answer.confidence:.3f} ≥ threshold {threshold:.3f})"
    label = f"{known.id}: "
    if answer.query != known.question:
        label += f"(read as \"{answer.query}\") "

    def miss(cause: str, text: str) -> Miss:
        return Miss(known.id, cause, f"{label}[{cause}] {text}")

    if asked.citation_problems:
        return miss("citation", "; ".join(asked.citation_problems))
    if not known.answerable:
        return None if abstained else miss("answered the unanswerable", f"{_first(answer)}; {verdict}")
    rank = metrics.answer_rank(asked.outcome(threshold), k)
    if rank == 1:
        return None if not abstained else miss("abstained", f"passage 1 holds the answer, but {verdict}")
    found = "answer in " + (f"passage {rank}, not 1" if rank else f"none of the {len(answer.passages)} passages")
    place = locate_gold(assistant, answer.query, known)
    if place is None:
        return miss("not indexed", f"{found}; no chunk of {', '.join(known.sources)} is in the index; {verdict}")
    ranks = (
        f"BM25 {_rank(place.lexical, 'no match')}, dense {_rank(place.dense, f'beyond #{RANK_LIMIT}')}, "
        f"fused {_rank(place.fused, f'outside the {place.candidates}+{place.candidates} candidates')}"
    )
    if not place.holds_answer:
        return miss("no chunk holds an answer", f"{found}; no chunk of the gold sources holds an answer string; "
                                                f"best gold chunk {place.where}: {ranks}; {verdict}")
    if place.fused is None or place.fused > place.read:
        return miss("retrieval", f"{found}; answer chunk {place.where} not among the {place.read} chunks read: "
                                 f"{ranks}; {verdict}")
    return miss("passage choice", f"{found}; answer chunk {place.where} was read ({ranks}) but {_first(answer)}; "
                                  f"{verdict}")


# ---- the figures ----------------------------------------------------------------------------------
FIGURES: dict[str, str] = {
    "answer_at_1": "answer in first passage",
    "answer_at_k": "answer in top {k}",
    "source_recall_at_k": "source recall@{k}",
    "mrr_at_k": "MRR@{k}",
    "citation_validity": "citations verified against files",
    "abstain_precision": "abstention precision",
    "abstain_recall": "abstention recall (unanswerable)",
    "wrongly_abstained": "answerable wrongly abstained",
    "followup_answer_at_1": "follow-ups: answer in first passage",
    "correct_as_shown": "right as shown (answer first / abstained)",
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


def score(asked: list[Asked], assistant, settings: Settings, sets: list[str], top_k: int,  # type: ignore[no-untyped-def]
          threshold: float, thresholds: Thresholds, calibration: Calibration | None = None) -> Report:
    """Figures, misses and the gate verdict of a run, abstaining under `threshold`."""
    for item in asked:
        item.why = explain_miss(item, threshold, assistant, top_k)
    values = figures(asked, threshold, top_k)
    return Report(
        settings=settings, sets=sets, asked=asked, top_k=top_k, threshold=threshold, values=values,
        thresholds=thresholds, failed=breaches(values, thresholds),
        misses=[a.why for a in asked if a.why is not None], kinds=by_kind(asked, threshold), calibration=calibration,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa eval",
        description="Ask the known questions, score the answers, explain every miss, and gate on thresholds.",
        epilog="Exit status: 0 when every gated figure meets its threshold, 1 when one does not, 2 for bad input.",
    )
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="question files, JSON lines (default: evals/questions.jsonl evals/conversations.jsonl)")
    parser.add_argument("--top-k", type=int, metavar="K", help="passages per answer (default: the settings' top_k)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    parser.add_argument("--report", metavar="PATH", help="also write a Markdown report for people")
    parser.add_argument("--calibrate", action="store_true",
                        help="choose the abstain threshold from this set and write it into the settings file")
    parser.add_argument("--index", help="index directory or Chroma URL (default: $QA_INDEX or .qa/index)")
    parser.add_argument("--thresholds", metavar="PATH", help=f"the gate (default: {shown(DEFAULT_THRESHOLDS)})")
    return parser


def run(args: argparse.Namespace, encoder=None) -> int:  # type: ignore[no-untyped-def]
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

    settings = load_settings(index=args.index, top_k=args.top_k)
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
    """`qa eval ARGS...`; also `python -m evals.run ARGS...`."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except (QAError, SettingsError) as error:
        print(f"qa eval: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qa eval: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
