"""The first step of answering: every sentence of the retrieved chunks, scored by how well it
answers the question (its words, its shape, its meaning), best first."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from config.tuning import TUNED
from index.documents.lines import Span
from index.lexical import function_terms
from index.terms import normal_words
from qa.answer_types import AnswerType, answer_span, answer_type, candidate_spans
from qa.english.terms import question_terms
from qa.extent import passage_span, shaped
from qa.lookups import Lookups
from qa.passages import Passage
from qa.retrieve import Candidate, word_pairs
from qa.sources import SourceText
from qa.verify import Verified, verify


@dataclass(frozen=True)
class Weights:
    """How a sentence's score is made (the values, and where they come from, in `config.tuning`).

    chunk: per unit of the chunk's fused score below the best chunk's (z units, so <= 0); coverage:
    idf-weighted share of the query's terms in the sentence; passage: the same share in the passage the
    sentence would be shown in (`qa.extent.passage_span`: the heading above a definition, the sentence an
    explanation runs on to), so a sentence is read with what the reader sees beside it; bigrams: share of
    the query's adjacent term pairs in the sentence; answer_shape: the sentence holds a span of the kind the
    question asks for (a date for "when", a number for "how many", ...); context: the idf-weighted share of
    the query's terms the sentence's passage lacks but its document's file name, title or date line holds;
    dense: per unit of the chunk's cosine similarity below the best chunk's; sentence: per unit of the
    sentence's own cosine similarity (its stored vector) below the best sentence's; repeat: taken off, in a
    follow-up, a sentence of the passage just shown whose only answer of the wanted kind is the one just
    given; defines: added to a sentence that opens with what a "what is X?" or "what does X do?" question
    asks about (`defined_subject`).
    """

    chunk: float = TUNED.sentence_chunk
    coverage: float = TUNED.sentence_coverage
    passage: float = TUNED.sentence_passage
    bigrams: float = TUNED.sentence_bigrams
    answer_shape: float = TUNED.sentence_answer_shape
    context: float = TUNED.sentence_context
    dense: float = TUNED.sentence_dense
    sentence: float = TUNED.sentence_similarity
    repeat: float = TUNED.sentence_repeat
    defines: float = TUNED.sentence_defines


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence of a retrieved chunk, with its score and the features it was made from."""

    candidate: Candidate
    source: SourceText
    block: int
    index: int
    span: Span
    score: float
    coverage: float
    has_shape: bool
    bigrams: float = 0.0
    chunk_gap: float = 0.0
    context: float = 0.0
    dense_gap: float = 0.0
    sentence_gap: float = 0.0
    passage: float = 0.0
    extent: Span | None = None  # the passage it would be shown in (`qa.extent.passage_span`), measured once

    @property
    def shown(self) -> Span:
        """The passage the sentence is shown in: what is measured, built and read."""
        return self.extent if self.extent is not None else self.span

    def features(self) -> tuple[float, ...]:
        """The features its score is the weighted sum of, in the order of `FEATURES` (the bonuses aside)."""
        return (self.chunk_gap, self.coverage, self.passage, self.bigrams, float(self.has_shape), self.context,
                self.dense_gap, self.sentence_gap)


# The weights (`Weights`) of a sentence's features, as `ScoredSentence.features` gives them: what the
# tuning searches (evals/natural/tune.py, evals/squad_tune.py) vary.
FEATURES = ("chunk", "coverage", "passage", "bigrams", "answer_shape", "context", "dense", "sentence")


@dataclass(frozen=True)
class SentenceFeatures:
    """One sentence's features, before the best sentence similarity of the question is known."""

    candidate: Candidate
    source: SourceText
    block: int
    index: int
    span: Span
    coverage: float
    has_shape: bool
    bigrams: float
    chunk_gap: float
    context: float
    dense_gap: float
    similarity: float
    repeat: bool
    defines: bool = False
    passage: float = 0.0  # the query's share in the passage the sentence would be shown in
    extent: Span | None = None  # that passage (`qa.extent.passage_span`)

    def scored(self, best_similarity: float, weights: Weights) -> ScoredSentence:
        """The sentence scored by `weights`, its similarity taken relative to the best sentence's."""
        sentence_gap = self.similarity - best_similarity
        score = sentence_score(weights, self.chunk_gap, self.coverage, self.bigrams, self.has_shape, self.context,
                               self.dense_gap, sentence_gap, self.passage)
        score += weights.defines * self.defines - weights.repeat * self.repeat
        return ScoredSentence(self.candidate, self.source, self.block, self.index, self.span,
                              score, self.coverage, self.has_shape, self.bigrams,
                              self.chunk_gap, self.context, self.dense_gap, sentence_gap, self.passage,
                              self.extent)


# "what is a closure?", "what are the ownership rules", "what does grep -v do?", "what does CFRP stand for?"
DEFINITION_QUESTION = re.compile(
    r"^\s*what\s+(?:is|are)\s+(?:an?\s+|the\s+)?(?P<thing>[^?]+?)\s*\??\s*$"
    r"|^\s*what\s+does\s+(?P<doer>[^?]+?)\s+(?:do|mean|stand\s+for)\s*\??\s*$", re.IGNORECASE)


def defined_thing(question: str) -> str:
    """What a question asks the definition of ("closure" of "what is a closure?"), or ""."""
    found = DEFINITION_QUESTION.match(question)
    return (found.group("thing") or found.group("doer") or "") if found else ""


def opens_with(text: str, term: str, words: int, terms: Callable[[str], list[str]]) -> bool:
    """Whether `term` is among the terms of the first `words` words of `text` (the thing a sentence or
    a label line is about: "Rust's closures are ...", "-v, --invert-match  Invert ...")."""
    return term in terms(" ".join(text.split()[:words]))


@dataclass(frozen=True)
class Shown:
    """The first passage of an answer, as a follow-up question needs to know it."""

    path: str
    start: int
    end: int
    answer: str  # its answer span's words, normalised ("" when it had none)

    @classmethod
    def of(cls, passage: Passage) -> Shown:
        words = normal_words(passage.answer_text) if passage.answer is not None else ""
        return cls(passage.citation.path, passage.citation.start, passage.citation.end, words)

    def same_as(self, passage: Passage) -> bool:
        """Whether `passage` shows this passage's sentences with the same answer marked."""
        citation = passage.citation
        if citation.path != self.path or citation.end <= self.start or citation.start >= self.end:
            return False
        words = normal_words(passage.answer_text) if passage.answer is not None else ""
        return words == self.answer

    def shown_again(self, passage: Passage) -> bool:
        """Whether `passage` is this very passage again (the same words) and marks no answer."""
        citation = passage.citation
        return (citation.path, citation.start, citation.end) == (self.path, self.start, self.end) and (
            passage.answer is None)

    def repeats(self, path: str, span: Span, kind: AnswerType, text: str) -> bool:
        """Whether a sentence (`text` at `span` of `path`) lies in this passage and its only
        answers of `kind` (a date, a name, ...) are this passage's answer again."""
        if kind is AnswerType.OTHER or not self.answer or path != self.path:
            return False
        if span.start < self.start or span.end > self.end:
            return False
        found = {normal_words(text[s.start : s.end]) for s in candidate_spans(kind, text)}
        return found == {self.answer}


def sentence_score(weights: Weights, chunk_gap: float, coverage: float, bigrams: float, has_shape: bool,
                   context: float = 0.0, dense_gap: float = 0.0, sentence_gap: float = 0.0,
                   passage: float = 0.0) -> float:
    """One sentence's score from its features (see `Weights`)."""
    return (
        weights.chunk * chunk_gap + weights.coverage * coverage + weights.passage * passage
        + weights.bigrams * bigrams
        + weights.answer_shape * has_shape + weights.context * context + weights.dense * dense_gap
        + weights.sentence * sentence_gap
    )


@dataclass(frozen=True)
class Asked:
    """What every sentence is compared with: the question and its query, as terms and a vector."""

    question: str
    kind: AnswerType
    terms: list[str]  # the query's distinct terms
    pairs: set[tuple[str, str]]  # its adjacent term pairs
    total_idf: float
    top: float  # the best candidate's fused score
    top_dense: float  # the best candidate's cosine similarity
    vector: np.ndarray | None
    before: Shown | None
    defined: tuple[str, int, list[str]] | None = None  # of what a "what is X?" asks about: its rarest term,
    # its number of words, its terms


def defined_subject(question: str, lookups: Lookups) -> tuple[str, int, list[str]] | None:
    """For a question asking what X is or does: X's rarest term, the words a sentence opens with that
    should hold it (X's words, at least two: "Rust's closures") and X's terms; None for any other question."""
    thing = defined_thing(question)
    found = lookups.terms(thing) if thing else []
    if not found:
        return None
    return max(found, key=lookups.idf), max(2, len(thing.split())), found


def chunk_sentences(asked: Asked, candidate: Candidate, source: SourceText, block: int, context: str,
                    seen: set[tuple[str, int]], lookups: Lookups) -> list[SentenceFeatures]:
    """The features of each sentence of one chunk not already seen in another chunk."""
    chunk, terms, idf = candidate.chunk, lookups.terms, lookups.idf
    around = set(terms(context))
    found: list[SentenceFeatures] = []
    owned: list[set[str]] = []  # each sentence's terms
    for index, span in enumerate(source.sentences(block)):
        if span.end <= chunk.start or span.start >= chunk.end:
            continue
        if span.start < chunk.start or span.end > chunk.end:
            # a sentence too long for one chunk was cut at ingest (a list of names with no full stop, a
            # table read as one line): this chunk's piece of it is read
            span = Span(max(span.start, chunk.start), min(span.end, chunk.end))
        if (chunk.source, span.start) in seen or source.is_code(span):
            continue  # (code, a synopsis, a command line: searchable and shown as context, never the answer)
        seen.add((chunk.source, span.start))
        text = source.text[span.start : span.end]
        sentence_terms = terms(text)
        present = set(sentence_terms)
        coverage = _coverage(asked.terms, present, idf)
        bigrams = len(asked.pairs & word_pairs(sentence_terms)) / len(asked.pairs) if asked.pairs else 0.0
        people = lookups.people(source, span.start, span.end) if asked.kind is AnswerType.PERSON else None
        if asked.kind is AnswerType.OTHER:
            has_shape = False
        elif people is None:
            has_shape = shaped(asked.question, text)
        else:
            has_shape = answer_span(asked.question, text, None, people) is not None
        vector = asked.vector
        stored = chunk.sentence_vector(span.start, len(vector)) if vector is not None else None
        similarity = float(stored.astype(np.float32) @ vector) if stored is not None else candidate.dense
        repeat = asked.before is not None and asked.before.repeats(chunk.source, span, asked.kind, text)
        defines = asked.defined is not None and opens_with(text, asked.defined[0], asked.defined[1], terms)
        found.append(SentenceFeatures(candidate, source, block, index, span, coverage, has_shape, bigrams,
                                      candidate.score - asked.top, 0.0, candidate.dense - asked.top_dense,
                                      similarity, repeat, defines))
        owned.append(present)
    # each sentence's passage once every sentence's shape is known (the passage may take the next one in);
    # the query terms it lacks but its document states for all of it (its date, title) count as context
    weighed = []
    for features, own in zip(found, owned, strict=True):
        extent = passage_span(features, asked.question)
        shown = _shown_terms(features, extent, own, terms)
        context_share = sum(idf(t) for t in asked.terms if t in around and t not in shown) / asked.total_idf
        weighed.append(replace(features, passage=_coverage(asked.terms, shown, idf), context=context_share,
                               extent=extent))
    return weighed


def _shown_terms(sentence: SentenceFeatures, extent: Span, own: set[str],
                 terms: Callable[[str], list[str]]) -> set[str]:
    """The terms of the passage `sentence` would be shown in (`extent`): its own and those of the sentences
    of its paragraph the passage takes in (each a text the term cache has seen)."""
    if (extent.start, extent.end) == (sentence.span.start, sentence.span.end):
        return own
    text = sentence.source.text
    shown = set(own)
    for other in sentence.source.sentences(sentence.block):
        if extent.start <= other.start and other.end <= extent.end and other.start != sentence.span.start:
            shown.update(terms(text[other.start : other.end]))
    return shown


def _coverage(question_terms: list[str], sentence_terms: set[str], idf: Callable[[str], float]) -> float:
    total = sum(idf(t) for t in question_terms)
    if total <= 0:
        return 0.0
    return sum(idf(t) for t in question_terms if t in sentence_terms) / total


def rank_sentences(question: str, query: str, candidates: list[Candidate], lookups: Lookups,
                   weights: Weights = Weights(), vector: np.ndarray | None = None,
                   before: Shown | None = None) -> list[ScoredSentence]:
    """The candidates verified (`qa.verify`), then their sentences ranked (`rank_verified`)."""
    return rank_verified(question, query, verify(candidates, lookups.files), lookups, weights, vector, before)


def rank_verified(question: str, query: str, verified: Verified, lookups: Lookups, weights: Weights = Weights(),
                  vector: np.ndarray | None = None, before: Shown | None = None) -> list[ScoredSentence]:
    """Every sentence of the verified chunks, scored, best first (a sentence shared by two overlapping
    chunks counts once, with the better chunk). `vector` is the query's; without it (or for a sentence
    with no stored vector) a sentence is as similar as its chunk. `before` is the passage a follow-up
    question follows (see `Weights.repeat`).
    """
    candidates = verified.candidates
    contexts = [lookups.document_context(chunk.source, chunk.candidate.chunk.source, chunk.candidate.chunk.title)
                for chunk in verified.chunks]
    lookups.terms.prime([query, *contexts, *(
        chunk.source.text[s.start : s.end]
        for chunk in verified.chunks
        for s in chunk.source.sentences(chunk.block)
        if chunk.candidate.chunk.start <= s.start and s.end <= chunk.candidate.chunk.end
    )])
    # the question's own wh-word says what kind of answer is wanted, not what it is about: "what is
    # shadowing?" is not answered by "... the second variable is what the compiler will see"
    query_terms = lookups.terms(query)
    query_terms = [t for t in query_terms if t not in question_terms()] or query_terms
    # A follow-up, read with the questions it leans on: their topic counts, not their "when were" ("The last
    # talks were held in January 2015" for "and when were they resumed?"). A question asking what X is or
    # does is about X alone: "does" and "do" of "what does grep do?" are rarer in a manual than "grep", which
    # every chunk's title holds (SQuAD's tune half, 1,500 questions: answer@1 0.835 -> 0.834, span F1 0.604
    # and AUC 0.972 both ways; the other way, for every question, answer@1 fell to 0.823)
    if query != question or defined_thing(question):
        query_terms = [t for t in query_terms if t not in function_terms()] or query_terms
    distinct = list(dict.fromkeys(query_terms))
    asked = Asked(
        question, answer_type(question), distinct, word_pairs(query_terms),
        sum(lookups.idf(t) for t in distinct) or 1.0,
        max((c.score for c in candidates), default=0.0), max((c.dense for c in candidates), default=0.0),
        vector, before, defined_subject(question, lookups),
    )
    seen: set[tuple[str, int]] = set()
    features = [feature for held, context in zip(verified.chunks, contexts, strict=True)
                for feature in chunk_sentences(asked, held.candidate, held.source, held.block, context, seen, lookups)]
    best_similarity = max([-1.0, *(f.similarity for f in features)])
    scored = [f.scored(best_similarity, weights) for f in features]
    scored.sort(key=lambda s: (-s.score, s.candidate.ranks.fused, s.span.start))
    return scored
