"""The read stage: the reading model re-ranks the first passages and marks their answers; a first
passage it is unsure of is read again within its whole chunk (`qa.reader` is the model itself)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from config.tuning import TUNED
from index.documents.lines import Span
from qa.answer_types import AnswerType, answer_type, candidate_spans
from qa.passages import Citation, Passage
from qa.reader import Reader, Reading, answering_sentence, read_passages
from qa.sentences import ScoredSentence, Shown


@dataclass(frozen=True)
class Read:
    """The passages after reading, best first; the reading of the first (None: nothing was read); and
    the first passage as the sentences chose it, when reading moved it (`moved_from`)."""

    passages: tuple[Passage, ...]
    reading: Reading | None = None
    moved_from: Passage | None = None


def read(pool: list[Passage], sentences: list[ScoredSentence], reader: Reader | None, question: str,
         reading: str | None = None, before: Shown | None = None) -> Read:
    """`pool` as the reader orders and marks it (`read_passages`: it reads `reading`, a follow-up with
    the questions it leans on, or the question); unchanged without a reader. A follow-up keeps its
    sentences; a first passage the reader is already sure of is not moved (`reread_first`)."""
    if reader is None:
        return Read(tuple(pool))
    kind = answer_type(question)
    kinds = None if kind is AnswerType.OTHER else (lambda text: candidate_spans(kind, text))
    pool, reading_of_first = read_passages(pool, reader, reading or question, kinds,
                                           demoted=before.same_as if before is not None else None)
    moved_from = None
    if pool and reading_of_first is not None and TUNED.reader_rereads_chunk and before is None and (
            reading_of_first.answerable < 1 - TUNED.reader_reread_margin):
        reread = reread_first(pool, sentences, reader, question, kinds)
        moved_from, pool = (pool[0] if reread[0] is not pool[0] else None), reread
    return Read(tuple(pool), reading_of_first, moved_from)


def reread_first(pool: list[Passage], sentences: list[ScoredSentence], reader: Reader, question: str,
                 kinds: Callable[[str], list[Span]] | None) -> list[Passage]:
    """`pool` with its first passage read again within its whole chunk (`answering_sentence`): a sentence
    the reader finds the answer in goes first, the passage chosen before it second (the reader is
    not always right); a passage the new one overlaps is dropped, so no two show the same words."""
    first = pool[0]
    held = next((s for s in sentences if s.candidate.chunk.source == first.citation.path
                 and s.candidate.chunk.start <= first.citation.start < s.candidate.chunk.end), None)
    if held is None:
        return pool
    source, chunk = held.source, held.candidate.chunk

    def sentence_at(offset: int) -> Span | None:  # the passage the sentence there would make, if ranked
        return next((s.shown for s in sentences
                     if s.source is source and s.span.start <= offset < s.span.end), None)

    def cite(start: int, end: int) -> Citation:
        return source.citation(first.citation.source, chunk.source, start, end, first.citation.date)

    found = answering_sentence(first, reader, question, Span(chunk.start, chunk.end), source.text, sentence_at,
                               cite, kinds)
    if found is first:
        return pool
    place = found.citation
    return [found] + [p for p in pool if not (p.citation.path == place.path and p.citation.start < place.end
                                               and place.start < p.citation.end)]
