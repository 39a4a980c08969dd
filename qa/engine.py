"""The assistant: one object that answers questions from an index, used by the CLI, TUI and evals."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from index.embedding import Encoder
from index.errors import EmptyQuestion, QuestionTooLong
from index.ingest import refresh_lexical
from index.lexical import LexicalIndex, remember_terms, terms
from index.settings import Settings
from index.store import Store
from qa.answer import NUMBER_TOKEN, ScoredSentence, Shown, Weights, build_passages, document_context, rank_sentences
from qa.answer_types import AnswerType, answer_type, without_type_words
from qa.conversation import follow_up_topic, resolve_query, typed_question
from qa.passages import Answer, Passage
from qa.retrieve import Candidate, HybridRetriever
from qa.sources import SourceFiles

SENTENCE_POOL = 8




# What a passage without an answer of the kind asked for costs, by kind: a whole unit where our
# detectors find answers reliably. On SQuAD (1,500 questions), a right first passage lacks a
# number for a "how many" question 4 % of the time and a date for a "when" question 7 % (a
# passage from another article: 19 % and 18 %); names and places are missed in 28-38 % of right
# passages, too often to weigh more.
MISSING_ANSWER_COST = {AnswerType.NUMBER: 1.0, AnswerType.DATE: 1.0}
MISSING_ANSWER_COST_OTHERWISE = 0.25


@dataclass(frozen=True)
class Evidence:
    """General signals that a first passage answers its question.

    dense: the best chunk's cosine similarity to the question; lacking: the idf-weighted share of
    the question's content terms that the passage and its document's file name, title and date
    line lack; numbers_missing: the share of the question's numbers (years, say) missing from them;
    no_answer: the question asks for a `kind` of answer (a date, number, name or place) and the
    passage holds none (the year of a date is no count).
    """

    dense: float
    lacking: float
    numbers_missing: float
    no_answer: bool
    kind: AnswerType = AnswerType.OTHER
    absent_numbers: tuple[str, ...] = ()  # the question's numbers that the passage lacks
    about: str = field(default="", repr=False)  # the question without its answer-kind words
    absent_terms: frozenset[str] = field(default=frozenset(), repr=False)  # its content terms the passage lacks

    @property
    def total(self) -> float:
        """dense less the share lacking, half the share of numbers missing, and the cost of a
        missing answer (`MISSING_ANSWER_COST`)."""
        cost = MISSING_ANSWER_COST.get(self.kind, MISSING_ANSWER_COST_OTHERWISE) if self.no_answer else 0.0
        return self.dense - self.lacking - 0.5 * self.numbers_missing - cost

    @property
    def confidence(self) -> float:
        """How sure the passage answers, 0..1: `total`, squashed (order kept)."""
        return 1.0 / (1.0 + math.exp(-4.0 * self.total))

    def shortfall(self, missing: tuple[str, ...]) -> str:
        """What the passage lacks, as a person reads it after "the closest passage": "holds no date
        and does not mention “2018”" ("" when it lacks nothing we can name); `missing` are the
        question's words it lacks (`Assistant.missing_words`)."""
        return self._lacks(missing)

    def caution(self) -> str:
        """What an answering passage visibly lacks, the two signals a reader can check at a glance:
        an answer of the kind asked for, and the question's numbers ("does not mention “2015”")."""
        return self._lacks(self.absent_numbers)

    def _lacks(self, words: tuple[str, ...]) -> str:
        parts = [f"holds no {KIND_NOUNS[self.kind]}"] if self.no_answer else []
        if words:
            quoted = [f"“{word}”" for word in words[:MISSING_SHOWN]]
            parts.append("does not mention " + (quoted[0] if len(quoted) == 1 else
                                                 ", ".join(quoted[:-1]) + " or " + quoted[-1]))
        return " and ".join(parts)


KIND_NOUNS = {AnswerType.DATE: "date", AnswerType.NUMBER: "number", AnswerType.PERSON: "name",
              AnswerType.PLACE: "place", AnswerType.ORGANIZATION: "organisation", AnswerType.OTHER: "answer"}
MISSING_SHOWN = 3  # words named in a shortfall, the rarest first
QUESTION_WORD = re.compile(r"[\w’'.-]*\w")


@dataclass
class Conversation:
    """The queries asked so far, so that a follow-up can lean on the question before it."""

    queries: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    shown: list[Shown | None] = field(default_factory=list)  # each turn's first passage, unless abstained


class Assistant:
    """Answers questions with verbatim, cited passages from an index."""

    def __init__(self, settings: Settings, store: Store, encoder: Encoder, lexical: LexicalIndex,
                 weights: Weights | None = None) -> None:
        self.settings = settings
        self.store = store
        self.encoder = encoder
        self.lexical = lexical
        self.weights = weights or Weights()
        self.files = SourceFiles()
        self._idf: dict[str, float] = {}
        self.retriever = HybridRetriever(store, encoder, lexical, settings.candidates, settings.dense_weight)

    @classmethod
    def open(cls, settings: Settings, encoder: Encoder | None = None) -> Assistant:
        """Open the index named by `settings` (raising IndexMissing/IndexBroken/IndexUnreachable)."""
        store = Store(settings)
        store.check_compatible()
        lexical = refresh_lexical(store, settings)
        return cls(settings, store, encoder or Encoder.from_settings(settings), lexical)

    def warm_up(self) -> None:
        """Load the model and run one query, so the first real question is fast."""
        self.encoder.encode(["warm up"])

    def idf(self, term: str) -> float:
        """The inverse document frequency of a term over the indexed chunks (remembered)."""
        found = self._idf.get(term)
        if found is None:
            found = self._idf[term] = self.lexical.idf(term)
        return found

    def ask(self, question: str, conversation: Conversation | None = None, top_k: int | None = None,
            mode: str = "hybrid") -> Answer:
        """Answer `question`; with a conversation, a follow-up is read in the light of the last turn."""
        began = time.perf_counter()
        question = " ".join(question.split())
        if not any(ch.isalnum() for ch in question):
            raise EmptyQuestion()
        if len(question) > QuestionTooLong.LIMIT:
            raise QuestionTooLong(len(question))
        top_k = top_k or self.settings.top_k
        history = conversation.topics if conversation else []
        query = resolve_query(question, history, terms)
        asked = typed_question(question, conversation.questions if conversation else [], terms)
        vector = self.encoder.encode([query])[0]
        candidates = self.retriever.search(query, k=SENTENCE_POOL, vector=vector, mode=mode)
        topic = follow_up_topic(question, history, terms)
        # a follow-up asks for something new: the answer just given is not given again
        before = conversation.shown[-1] if conversation and conversation.shown and len(topic) > 1 else None
        answer = self.answer_from(asked, query, candidates, top_k, vector, before)
        answer.question = question
        answer.query = " ".join(topic)  # as a person reads it (the search weighs the follow-up's own words double)
        if conversation is not None:
            conversation.queries.append(query)
            conversation.topics.append("\n".join(topic))
            conversation.questions.append(asked)
            first = answer.passages[0] if answer.passages and not answer.abstained else None
            conversation.shown.append(Shown.of(first) if first else None)
        answer.seconds = time.perf_counter() - began
        return answer

    def answer_from(self, question: str, query: str, candidates: list[Candidate], top_k: int,
                    vector: np.ndarray | None = None, before: Shown | None = None) -> Answer:
        """Pick and cite the answering passages among retrieved chunks (`vector`: the query's, to
        compare single sentences with it; `before`: the answer the question follows up on), or
        abstain."""
        stale: list[str] = []
        sentences = rank_sentences(question, query, candidates, self.files, terms, self.idf, self.weights, stale,
                                   vector, before)
        passages = build_passages(question, query, sentences, terms, top_k)
        if not sentences:
            return Answer(question, query, True, passages, 0.0, stale)
        first = passages[0] if passages else None
        evidence = self.evidence(query, sentences, first, question)
        abstained = not passages or evidence.confidence < self.settings.abstain_threshold
        # why, in words, only when it is said (naming the words costs a tokenizer call each); an
        # answer that is given still says what it visibly lacks
        shortfall = evidence.shortfall(self.missing_words(evidence)) if abstained else evidence.caution()
        return Answer(question, query, abstained, passages, evidence.confidence, stale, shortfall=shortfall)

    def evidence(self, query: str, sentences: list[ScoredSentence], passage: Passage | None = None,
                 question: str | None = None) -> Evidence:
        """The signals that the first passage answers (see `Evidence`); `sentences` is not empty."""
        best = sentences[0]
        chunk = best.candidate.chunk
        text = passage.text if passage is not None else best.source.text[best.span.start : best.span.end]
        around = text + " " + document_context(best.source, chunk.source, chunk.title)
        about = without_type_words(query)
        remember_terms([around, about])  # one tokenizer call for both
        # what the question is about: no answer-kind words ("how many"), no function words
        content = [t for t in dict.fromkeys(terms(about)) if t not in function_terms()]
        present = set(terms(around))
        total = sum(self.idf(t) for t in content) or 1.0
        lacking = sum(self.idf(t) for t in content if t not in present) / total
        numbers = list(dict.fromkeys(NUMBER_TOKEN.findall(query)))
        absent_numbers = [n for n in numbers if n not in set(NUMBER_TOKEN.findall(around))]
        numbers_missing = len(absent_numbers) / len(numbers) if numbers else 0.0
        kind = answer_type(question or query)
        no_answer = kind is not AnswerType.OTHER and passage is not None and passage.answer is None
        return Evidence(max(s.candidate.dense for s in sentences), lacking, numbers_missing, no_answer, kind,
                        tuple(absent_numbers), about, frozenset(t for t in content if t not in present))

    def missing_words(self, evidence: Evidence) -> tuple[str, ...]:
        """The question's own words (and numbers) that the passage lacks, the rarest first."""
        missing = [word for word in dict.fromkeys(QUESTION_WORD.findall(evidence.about))
                   if word in evidence.absent_numbers or any(t in evidence.absent_terms for t in terms(word))]
        missing.sort(key=lambda word: -max((self.idf(t) for t in terms(word)), default=99.0))
        return tuple(missing)


@cache
def function_terms() -> frozenset[str]:
    """Stemmed English function words (who, did, were, ...), which say nothing of a topic."""
    from index.lexical import english_stopwords

    return frozenset(t for word in english_stopwords(plus=True) for t in terms(word))
