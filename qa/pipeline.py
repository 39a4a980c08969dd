"""One question through the stages, in order, each a module with one job taking and returning records:
retrieve (`qa.retrieve`) → verify against the canonical text (`qa.verify`) → rank sentences
(`qa.rank`) → build passages (`qa.answer`) → read (`qa.read`) → the question's constraint on the
documents' parses (`qa.constraints`) → judge (`qa.judge`) → timeline
(`qa.timeline`). The words about the `Answer` are made apart, by `qa.render`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from config.tuning import TUNED
from index.encoder_protocol import SentenceEncoder
from index.lexical import LexicalIndex
from index.terms import normal_words
from qa.answer import choose_passages, same_answer
from qa.answer_types import AnswerType, answer_type
from qa.constraints import constrained
from qa.judge import Judge
from qa.lookups import Lookups
from qa.passages import Answer
from qa.rank import rank
from qa.read import read
from qa.reader import Reader
from qa.retrieve import Candidate, HybridRetriever
from qa.sentences import Shown, Weights
from qa.timeline import asks_for_present, over_time
from qa.verify import verify


@dataclass(frozen=True)
class Question:
    """A question as the stages take it: as asked (its kind of answer is read from it), the query
    searched (a follow-up with what it follows up on), the passages wanted; for a follow-up, what the
    reader reads (`reading`: it with the questions it leans on), the answer it follows (`before`) and
    the first passages of the turns before that one it leans on too (`earlier`)."""

    question: str
    query: str
    top_k: int
    reading: str | None = None
    before: Shown | None = None
    earlier: tuple[Shown, ...] = ()
    mode: str = "hybrid"  # the retriever's: "hybrid", "lexical" or "dense"


@dataclass(frozen=True)
class Stages:
    """What the stages work with: the encoder and retriever, the index's lookups and BM25, the sentence
    weights, the reading model (`reader()`, None when off: loaded at the read stage, once the encoder has
    run; loaded first, it raised a cold ask's peak memory by 34 MB) and the confidence below which an
    answer abstains."""

    encoder: SentenceEncoder
    retriever: HybridRetriever
    lookups: Lookups
    lexical: LexicalIndex
    weights: Weights
    reader: Callable[[], Reader | None]
    abstain_threshold: float


def ask(stages: Stages, asked: Question) -> Answer:
    """Retrieve the chunks for `asked`, then answer from them."""
    vector = stages.encoder.encode([asked.query])[0]
    candidates = stages.retriever.search(asked.query, k=TUNED.sentence_pool, vector=vector, mode=asked.mode)
    return answer_from(stages, asked, candidates, vector)


def answer_from(stages: Stages, asked: Question, candidates: list[Candidate],
                vector: np.ndarray | None = None) -> Answer:
    """Pick and cite the answering passages among retrieved chunks (`vector`: the query's, to compare
    single sentences with it), or abstain."""
    question, query, top_k, lookups = asked.question, asked.query, asked.top_k, stages.lookups
    verified = verify(candidates, lookups.files)
    sentences = rank(question, query, verified, lookups, stages.weights, vector, asked.before)
    pool = choose_passages(question, query, sentences, lookups, top_k, asks_for_present(question), asked.before,
                           asked.earlier)
    reader = stages.reader()
    done = read(pool, sentences, reader, question, asked.reading, asked.before)
    constraint = constrained(question, answer_type(question), list(done.passages), lookups.files, lookups.parses)
    passages = list(constraint.passages[:top_k])
    reader_name = reader.name if reader is not None else None
    if not sentences:
        return Answer(question, query, True, tuple(passages), 0.0, verified.stale, reader=reader_name)
    judge = Judge(lookups, stages.lexical)
    judged = judge.judge(question, query, sentences, done, tuple(passages), stages.abstain_threshold,
                         constraint.unmet)
    timeline = None
    if not judged.abstained and answer_type(question) is not AnswerType.OTHER:
        passages, timeline = over_time(question, list(constraint.passages), passages, top_k,
                                       lambda passage: judge.lacking(query, passage),
                                       lambda a, b: same_answer(normal_words(a), normal_words(b)))
    return Answer(question, query, judged.abstained, tuple(passages), judged.confidence, verified.stale,
                  shortfall=judged.shortfall, unknown=judged.unknown, timeline=timeline, reader=reader_name)
