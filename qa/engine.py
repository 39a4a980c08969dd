"""The assistant: one object that answers questions from an index, used by the CLI, TUI and evals."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from index.embedding import Encoder
from index.errors import EmptyQuestion
from index.ingest import refresh_lexical
from index.lexical import LexicalIndex, tokenize
from index.settings import Settings
from index.store import Store
from qa.answer import Weights, build_passages, rank_sentences
from qa.conversation import resolve_query
from qa.passages import Answer
from qa.retrieve import Candidate, HybridRetriever
from qa.sources import SourceFiles

SENTENCE_POOL = 8


@cache
def _terms(text: str) -> tuple[str, ...]:
    return tuple(tokenize([text])[0])


def terms(text: str) -> list[str]:
    """The BM25 terms of `text` (stemmed, stop words out)."""
    return list(_terms(text))


@dataclass
class Conversation:
    """The queries asked so far, so that a follow-up can lean on the question before it."""

    queries: list[str] = field(default_factory=list)


class Assistant:
    """Answers questions with verbatim, cited passages from an index."""

    def __init__(self, settings: Settings, store: Store, encoder: Encoder, lexical: LexicalIndex,
                 weights: Weights = Weights()) -> None:
        self.settings = settings
        self.store = store
        self.encoder = encoder
        self.lexical = lexical
        self.weights = weights
        self.files = SourceFiles()
        self.retriever = HybridRetriever(store, encoder, lexical, settings.candidates, settings.dense_weight)

    @classmethod
    def open(cls, settings: Settings, encoder: Encoder | None = None) -> Assistant:
        """Open the index named by `settings` (raising IndexMissing/IndexBroken/IndexUnreachable)."""
        store = Store(settings)
        store.check_compatible()
        lexical = refresh_lexical(store, settings)
        return cls(settings, store, encoder or Encoder(settings.model), lexical)

    def warm_up(self) -> None:
        """Load the model and run one query, so the first real question is fast."""
        self.encoder.encode(["warm up"])

    def idf(self, term: str) -> float:
        return self.lexical.idf(term)

    def ask(self, question: str, conversation: Conversation | None = None, top_k: int | None = None,
            mode: str = "hybrid") -> Answer:
        """Answer `question`; with a conversation, a follow-up is read in the light of the last turn."""
        began = time.perf_counter()
        if not question.strip() or not any(ch.isalnum() for ch in question):
            raise EmptyQuestion()
        top_k = top_k or self.settings.top_k
        history = conversation.queries if conversation else []
        query = resolve_query(question, history, terms)
        candidates = self.retriever.search(query, k=SENTENCE_POOL, mode=mode)
        answer = self.answer_from(question, query, candidates, top_k)
        if conversation is not None:
            conversation.queries.append(query)
        answer.seconds = time.perf_counter() - began
        return answer

    def answer_from(self, question: str, query: str, candidates: list[Candidate], top_k: int) -> Answer:
        """Pick and cite the answering passages among retrieved chunks, or abstain."""
        stale: list[str] = []
        sentences = rank_sentences(question, query, candidates, self.files, terms, self.idf, self.weights, stale)
        passages = build_passages(question, query, sentences, terms, top_k)
        confidence = self.confidence(sentences)
        return Answer(
            question=question,
            query=query,
            abstained=not passages or confidence < self.settings.abstain_threshold,
            passages=passages,
            confidence=confidence,
            stale=stale,
        )

    def confidence(self, sentences: list) -> float:  # type: ignore[type-arg]
        """How sure the top passage answers: its chunk's similarity to the question and how much of
        the question its sentence covers."""
        if not sentences:
            return 0.0
        best = sentences[0]
        return 0.5 * max(0.0, best.candidate.dense) + 0.5 * best.coverage
