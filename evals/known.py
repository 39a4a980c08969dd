"""The known questions of `qa eval` (and `qa bench natural`): read from their files and checked, asked
of the assistant (a conversation's turns through one conversation), every citation checked against its
file's canonical text."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from config.errors import QAError, UnreadableFile
from config.settings import PROJECT_ROOT
from evals import metrics
from evals.metrics import Outcome
from qa.passages import Answer, Citation
from qa.sources import SourceText, load_source

if TYPE_CHECKING:
    from evals.misses import Miss
    from qa.conversation import Conversation
    from qa.engine import Assistant

EVALS = Path(__file__).resolve().parent
DEFAULT_SETS = (EVALS / "questions.jsonl", EVALS / "conversations.jsonl")
DEFAULT_THRESHOLDS = EVALS / "thresholds.toml"


class EvalInputError(QAError):
    """A question file, thresholds file or report path that cannot be used."""


# ---- the known questions ------------------------------------------------------------------------
@dataclass(frozen=True)
class KnownQuestion:
    """One question with its acceptable answers and the corpus files that answer it."""

    id: str
    question: str
    answers: tuple[str, ...]
    sources: tuple[str, ...]  # as written in the set, relative to `base`
    kind: str = ""
    turn: int = 0  # 0 for a standalone question, 1.. for the turns of a conversation
    conversation: str = ""  # the conversation's id, for a turn
    base: Path = PROJECT_ROOT  # the folder the sources are named from (a collection's, for `qa bench natural`)

    @property
    def paths(self) -> tuple[str, ...]:
        """The gold sources as the index names them (absolute paths)."""
        return tuple(str(resolve_source(s, self.base)) for s in self.sources)

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class KnownConversation:
    """Questions asked one after another in one conversation; each turn is scored."""

    id: str
    turns: tuple[KnownQuestion, ...]


Case = KnownQuestion | KnownConversation


def resolve_source(source: str, base: Path = PROJECT_ROOT) -> Path:
    """A source path from a question file, relative to `base` (the project's root) unless absolute."""
    return Path(os.path.abspath(base / Path(source).expanduser()))


def shown(path: str | Path, base: Path = PROJECT_ROOT) -> str:
    """A path relative to `base` (the project's root) where it lies under it."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(base))
    except ValueError:
        return str(path)


def _question(data: object, where: str, base: Path, case: str = "", turn: int = 0) -> KnownQuestion:
    if not isinstance(data, dict) or not isinstance(data.get("question"), str) or not data["question"].strip():
        raise EvalInputError(f"{where}: no \"question\" text (each line needs question, answers, sources)")
    answers, sources = data.get("answers", []), data.get("sources", [])
    for name, value in (("answers", answers), ("sources", sources)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise EvalInputError(f"{where}: \"{name}\" must be a list of strings")
    if answers and not sources:
        raise EvalInputError(f"{where}: answerable question without \"sources\" (name the files that answer it)")
    for source in sources:
        if not resolve_source(source, base).is_file():
            raise EvalInputError(f"{where}: source {source} does not exist (paths are relative to {base})")
    ident = str(data.get("id") or (f"{case}#{turn}" if case else where))
    kind = str(data.get("kind") or ("follow-up" if turn > 1 else "conversation" if turn else ""))
    return KnownQuestion(ident, data["question"], tuple(answers), tuple(sources), kind, turn, case, base)


def load_set(path: Path, base: Path = PROJECT_ROOT) -> list[Case]:
    """The questions and conversations of one JSON-lines file, checked line by line; sources are
    named relative to `base`."""
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
                _question(turn, f"{where} turn {i}", base, ident, i) for i, turn in enumerate(turns, start=1)
            )))
        else:
            cases.append(_question(data, where, base))
    if not cases:
        raise EvalInputError(f"{path}: no questions in it")
    return cases


# ---- checking citations against the files, independently of the assistant -----------------------
class FileTexts:
    """Cited files' canonical texts, extracted again from disk once per run (not the assistant's
    copies), to check citations against: a .txt or .md file's own text, and for HTML, PDF and Word
    the text the extractor builds (CONTRIBUTING.md, "Formats")."""

    def __init__(self) -> None:
        self._texts: dict[str, SourceText | None] = {}

    def get(self, path: str) -> SourceText | None:
        """The file's canonical text, or None when it is gone or cannot be extracted."""
        if path not in self._texts:
            try:
                self._texts[path] = load_source(path)
            except (OSError, UnreadableFile):
                self._texts[path] = None
        return self._texts[path]


def cited_place(citation: Citation) -> str:
    """Where a citation points inside its file: "12", or "p3:12" for a page's line."""
    return citation.label.removeprefix(f"{citation.source}:")


def citation_problem(citation: Citation, files: FileTexts, text: str | None = None) -> str | None:
    """What is wrong with a citation (file unreadable, text not at its offsets, wrong page or line),
    or None."""
    source = files.get(citation.path)
    where = f"{shown(citation.path)}:{cited_place(citation)}"
    if source is None:
        return f"{where}: the cited file cannot be re-read"
    if not 0 <= citation.start < citation.end <= len(source.text):
        return f"{where}: offsets {citation.start}-{citation.end} lie outside the file's text"
    if text is not None and source.text[citation.start : citation.end] != text:
        return f"{where}: the file's text does not hold the passage's text at {citation.start}-{citation.end}"
    expected = source.citation(citation.source, citation.path, citation.start, citation.end)
    if (expected.page, expected.line) != (citation.page, citation.line):
        if expected.page is None and citation.page is None:
            return f"{where}: offset {citation.start} is on line {expected.line}, not {citation.line}"
        return f"{where}: offset {citation.start} is on {cited_place(expected)}, not {cited_place(citation)}"
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
            # a passage as the card shows it: with its document's date line when the answer is a
            # date without a year ("said Wednesday" · "dated April 20, 2022")
            passages=tuple(p.text if p.dated is None else f"{p.text} · dated {p.dated.text}" for p in answer.passages),
            cited=tuple((p.citation.path, *(c.path for c in p.also_in)) for p in answer.passages),
            titles=tuple(p.title for p in answer.passages),
            abstained=self.abstains(threshold),
            confidence=answer.confidence,
            seconds=answer.seconds,
            citations_checked=self.citations_checked,
            citations_valid=self.citations_checked - len(self.citation_problems),
        )


def each_turn(cases: Sequence[Case]) -> Iterator[tuple[KnownQuestion, Conversation | None]]:
    """Every question of `cases` in order, each with the Conversation it is asked in (one per known
    conversation, its turns in order; None for a standalone question)."""
    from qa.conversation import Conversation

    for case in cases:
        if isinstance(case, KnownConversation):
            conversation = Conversation()
            for turn in case.turns:
                yield turn, conversation
        else:
            yield case, None


def ask_all(assistant: Assistant, cases: Sequence[Case], top_k: int) -> list[Asked]:
    """Ask every question, each conversation through one Conversation, checking every citation."""
    files = FileTexts()
    asked: list[Asked] = []
    for known, conversation in each_turn(cases):
        answer = assistant.ask(known.question, conversation, top_k=top_k)
        checked, problems = check_answer_citations(answer, files)
        asked.append(Asked(known, answer, checked, problems, assistant.settings.abstain_threshold))
    return asked

