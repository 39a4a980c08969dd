"""From retrieved chunks to answering passages: rank sentences, add context, mark the answer,
merge sources that agree, and decide whether the corpus answers at all."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.chunking import DATE, Span, is_dateline
from index.documents import display_path
from qa.answer_types import AnswerType, answer_span, answer_type, candidate_spans
from qa.passages import Dated, Passage
from qa.retrieve import Candidate, word_pairs
from qa.sources import SourceFiles, SourceText

# Words that open a sentence which leans on the one before it.
REFERRING = re.compile(
    r"^(?:this|that|these|those|it|its|they|their|them|he|she|his|her|such|there|the same|both|"
    r"however|but|also|meanwhile|instead|then|thus|therefore)\b",
    re.IGNORECASE,
)
SHORT_SENTENCE_WORDS = 8
MAX_PASSAGE_SENTENCES = 3
CORROBORATION_DEPTH = 12  # sentences looked at when building passages and finding agreeing sources


@dataclass(frozen=True)
class Weights:
    """How a sentence's score is made (tuned on the tune half of SQuAD: `qa bench squad --tune`).

    chunk: per unit of the chunk's fused score below the best chunk's (z units, so <= 0);
    coverage: idf-weighted share of the query's terms in the sentence; bigrams: share of the
    query's adjacent term pairs in the sentence; answer_shape: the sentence holds a span of the
    kind the question asks for (a date for "when", a number for "how many", ...); context: the
    idf-weighted share of the query's terms the sentence lacks but its document's file name, title
    or date line holds; dense: per unit of the chunk's cosine similarity below the best chunk's;
    sentence: per unit of the sentence's own cosine similarity (its stored vector) below the best
    sentence's; repeat: taken off, in a follow-up, a sentence of the passage just shown whose
    only answer of the wanted kind is the one just given.
    """

    chunk: float = 0.0
    coverage: float = 1.0
    bigrams: float = 0.25
    answer_shape: float = 0.1
    context: float = 1.0
    dense: float = 1.0
    sentence: float = 0.25
    repeat: float = 1.0


@dataclass(frozen=True)
class ScoredSentence:
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


@dataclass(frozen=True)
class Shown:
    """The first passage of an answer, as a follow-up question needs to know it."""

    path: str
    start: int
    end: int
    answer: str  # its answer span's words, normalised ("" when it had none)

    @classmethod
    def of(cls, passage: Passage) -> Shown:
        words = _normal(passage.answer_text) if passage.answer is not None else ""
        return cls(passage.citation.path, passage.citation.start, passage.citation.end, words)

    def repeats(self, path: str, span: Span, kind: AnswerType, text: str) -> bool:
        """Whether a sentence (`text` at `span` of `path`) lies in this passage and its only
        answers of `kind` (a date, a name, ...) are this passage's answer again."""
        if kind is AnswerType.OTHER or not self.answer or path != self.path:
            return False
        if span.start < self.start or span.end > self.end:
            return False
        found = {_normal(text[s.start : s.end]) for s in candidate_spans(kind, text)}
        return found == {self.answer}


Terms = Callable[[str], list[str]]
Idf = Callable[[str], float]


def prime_terms(terms: Terms, texts: list[str]) -> None:
    """Let a caching `terms` tokenize many texts in one call (it is called per text later)."""
    many = getattr(terms, "many", None)
    if many is not None and texts:
        many(texts)


def _coverage(question_terms: list[str], sentence_terms: set[str], idf: Idf) -> float:
    total = sum(idf(t) for t in question_terms)
    if total <= 0:
        return 0.0
    return sum(idf(t) for t in question_terms if t in sentence_terms) / total


def sentence_score(weights: Weights, chunk_gap: float, coverage: float, bigrams: float, has_shape: bool,
                   context: float = 0.0, dense_gap: float = 0.0, sentence_gap: float = 0.0) -> float:
    """One sentence's score from its features (see `Weights`)."""
    return (
        weights.chunk * chunk_gap + weights.coverage * coverage + weights.bigrams * bigrams
        + weights.answer_shape * has_shape + weights.context * context + weights.dense * dense_gap
        + weights.sentence * sentence_gap
    )


_CONTEXTS: dict[tuple[str, int, str], str] = {}


def document_context(source: SourceText, path: str, title: str) -> str:
    """What a document says about all of its sentences: its file name, its title and its date
    line (the first date before or in its first paragraph)."""
    key = (path, hash(source.text), title)
    if key not in _CONTEXTS:
        if len(_CONTEXTS) > 100_000:
            _CONTEXTS.clear()
        _CONTEXTS[key] = _document_context(source, path, title)
    return _CONTEXTS[key]


def document_date(source: SourceText) -> Span | None:
    """The document's date: the first date before or in its first paragraph."""
    blocks = source.blocks
    limit = blocks[0].end if blocks else min(len(source.text), 500)
    date = DATE.search(source.text, 0, limit)
    return Span(date.start(), date.end()) if date else None


YEAR = re.compile(r"\b\d{4}\b")


def dated_by(source: SourceText, path: str, passage: Span, answer: Span, question: str) -> Dated | None:
    """For a date answer without a year ("said Wednesday", "on November 30"), the document's own
    date line with a year, when it lies outside the passage: what a reader needs to place it."""
    if answer_type(question) is not AnswerType.DATE or YEAR.search(source.text, answer.start, answer.end):
        return None
    date = document_date(source)
    if date is None or not YEAR.search(source.text, date.start, date.end):
        return None
    if passage.start <= date.start < passage.end:
        return None
    citation = source.citation(_shown_path(path), path, date.start, date.end)  # formats (issue 12): with its page
    return Dated(source.text[date.start : date.end], citation)


def _document_context(source: SourceText, path: str, title: str) -> str:
    date = document_date(source)
    stem = Path(path).stem.replace("-", " ").replace("_", " ")
    return " ".join(part for part in (stem, title, source.text[date.start : date.end] if date else "") if part)


def rank_sentences(
    question: str,
    query: str,
    candidates: list[Candidate],
    files: SourceFiles,
    terms: Terms,
    idf: Idf,
    weights: Weights = Weights(),
    stale: list[str] | None = None,
    vector: np.ndarray | None = None,
    before: Shown | None = None,
) -> list[ScoredSentence]:
    """Every sentence of the verified candidate chunks, scored, best first (a sentence shared by
    two overlapping chunks counts once, with the better chunk). `vector` is the query's; without
    it (or for a sentence with no stored vector) a sentence is as similar as its chunk.

    A chunk whose file no longer holds its text is left out and its source noted in `stale`.
    `before` is the passage a follow-up question follows (see `Weights.repeat`).
    """
    kind = answer_type(question)
    top = max((c.score for c in candidates), default=0.0)
    top_dense = max((c.dense for c in candidates), default=0.0)
    scored: list[ScoredSentence] = []
    features: list[tuple] = []  # type: ignore[type-arg]  # each sentence's, until the best similarity is known
    best_similarity = -1.0
    seen: set[tuple[str, int]] = set()
    verified: list[tuple[Candidate, SourceText, int]] = []
    for candidate in candidates:
        chunk = candidate.chunk
        source = files.get(chunk.source)  # the file as it is now, re-read when it changed
        if source is None or source.text[chunk.start : chunk.end] != chunk.text:
            if stale is not None and chunk.source not in stale:
                stale.append(chunk.source)
            continue
        block = source.block_of(chunk.start)
        if block is not None:
            verified.append((candidate, source, block))
    contexts = [document_context(source, candidate.chunk.source, candidate.chunk.title)
                for candidate, source, _ in verified]
    prime_terms(terms, [query, *contexts, *(
        source.text[s.start : s.end]
        for candidate, source, block in verified
        for s in source.sentences(block)
        if candidate.chunk.start <= s.start and s.end <= candidate.chunk.end
    )])
    query_terms = terms(query)
    question_terms = list(dict.fromkeys(query_terms))
    pairs = word_pairs(query_terms)
    total_idf = sum(idf(t) for t in question_terms) or 1.0
    for (candidate, source, block), context in zip(verified, contexts, strict=True):
        chunk = candidate.chunk
        around = set(terms(context))
        for index, span in enumerate(source.sentences(block)):
            if span.start < chunk.start or span.end > chunk.end or (chunk.source, span.start) in seen:
                continue
            seen.add((chunk.source, span.start))
            text = source.text[span.start : span.end]
            sentence_terms = terms(text)
            coverage = _coverage(question_terms, set(sentence_terms), idf)
            bigrams = len(pairs & word_pairs(sentence_terms)) / len(pairs) if pairs else 0.0
            has_shape = kind is not AnswerType.OTHER and answer_span(question, text) is not None
            gap = candidate.score - top
            present = set(sentence_terms)
            # query terms the sentence lacks but its document states for all of it (its date, title)
            context = sum(idf(t) for t in question_terms if t in around and t not in present) / total_idf
            dense_gap = candidate.dense - top_dense
            stored = chunk.sentence_vector(span.start, len(vector)) if vector is not None else None
            similarity = float(stored.astype(np.float32) @ vector) if stored is not None else candidate.dense
            repeat = before is not None and before.repeats(chunk.source, span, kind, text)
            best_similarity = max(best_similarity, similarity)
            features.append((candidate, source, block, index, span, coverage, has_shape, bigrams, gap, context,
                             dense_gap, similarity, repeat))
    for candidate, source, block, index, span, coverage, has_shape, bigrams, gap, context, dense_gap, similarity, \
            repeat in features:
        sentence_gap = similarity - best_similarity
        score = sentence_score(weights, gap, coverage, bigrams, has_shape, context, dense_gap, sentence_gap)
        scored.append(ScoredSentence(candidate, source, block, index, span, score - weights.repeat * repeat, coverage,
                                     has_shape, bigrams, gap, context, dense_gap, sentence_gap))
    scored.sort(key=lambda s: (-s.score, s.candidate.ranks.fused, s.span.start))
    return scored


def passage_span(best: ScoredSentence, question: str | None = None) -> Span:
    """The best sentence with just enough context (at most `MAX_PASSAGE_SENTENCES`, never beyond
    its paragraph).

    Before it: the sentence before, when it opens by referring back ("It ...", "However ...") or
    follows a date line. After it: the next sentence, when the sentence is very short; for a
    question that wants a date, number, name or place, when the sentence has none and the next
    one has; for other questions (what, why, how), always, because an explanation usually runs on
    (measured on SQuAD's tune split: `qa bench squad --tune`).
    """
    sentences = best.source.sentences(best.block)
    first = last = best.index
    text = best.source.text
    sentence = text[best.span.start : best.span.end]
    if first > 0:
        before = sentences[first - 1]
        if REFERRING.match(sentence) or is_dateline(text[before.start : before.end]):
            first -= 1
    if last + 1 < len(sentences) and last - first + 1 < MAX_PASSAGE_SENTENCES:
        after = sentences[last + 1]
        kind = answer_type(question) if question else AnswerType.OTHER
        if kind is AnswerType.OTHER:
            runs_on = question is not None
        else:
            runs_on = not best.has_shape and answer_span(question or "", text[after.start : after.end]) is not None
        if runs_on or len(sentence.split()) < SHORT_SENTENCE_WORDS:
            last += 1
    return Span(sentences[first].start, sentences[last].end)


def _focus(query_terms: list[str], text: str, offset: int, terms: Terms) -> list[Span]:
    """The words of `text` that the query asks about; a word the query repeats (a follow-up's own
    words) is listed once per square of its count, so it pulls the answer span harder. A word whose
    stem extends a query stem of four letters or more counts too ("Cuban" for "Cuba's")."""
    counts = {t: query_terms.count(t) ** 2 for t in set(query_terms)}

    def asked(term: str) -> int:
        if term in counts:
            return counts[term]
        return max((n for q, n in counts.items() if len(q) >= 4 and term.startswith(q)), default=0)

    return [
        Span(offset + m.start(), offset + m.end())
        for m in re.finditer(r"\w+", text)
        if (t := terms(m.group()))
        for _ in range(asked(t[0]))
    ]


_SHOWN: dict[str, str] = {}


def _shown_path(path: str) -> str:
    """`display_path`, remembered (it asks the file system for the working directory)."""
    key = os.getcwd() + "\0" + path
    if key not in _SHOWN:
        if len(_SHOWN) > 100_000:
            _SHOWN.clear()
        _SHOWN[key] = display_path(path)
    return _SHOWN[key]


NUMBER_TOKEN = re.compile(r"\b\d+\b")  # a number as written (a year, a count)


def _numbers_named(numbers: set[str], text: str) -> set[str]:
    """Which of `numbers` (a question's) `text` names."""
    return numbers & set(NUMBER_TOKEN.findall(text)) if numbers else set()


def _normal(text: str) -> str:
    """Lower-cased words without accents ("Fernández" and "Fernandez" are the same name)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", plain))


def _same_answer(one: str, other: str) -> bool:
    """Whether two normalised answers name the same thing: equal, or one name of two words or
    more inside the other ("carlos fernandez de cossio" in "... de cossio dominguez")."""
    if not one or not other:
        return False
    a, b = one.split(), other.split()
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return a == b or (len(shorter) >= 2 and set(shorter) <= set(longer))


def build_passages(
    question: str,
    query: str,
    sentences: list[ScoredSentence],
    terms: Terms,
    top_k: int,
) -> list[Passage]:
    """The `top_k` best passages, one per place, with agreeing sources folded into `also_in`."""
    kept: list[tuple[Passage, set[str], str]] = []
    used: set[tuple[str, int, int]] = set()
    # Passages further down than this are neither shown nor likely to corroborate the ones shown.
    considered = sentences[: max(CORROBORATION_DEPTH, 4 * top_k)]
    words: list[str] = []
    for sentence in considered:
        block = sentence.source.sentences(sentence.block)
        first = block[max(sentence.index - 1, 0)]
        last = block[min(sentence.index + 1, len(block) - 1)]
        words.extend(re.findall(r"\w+", sentence.source.text[min(first.start, sentence.span.start) :
                                                              max(last.end, sentence.span.end)]))
    prime_terms(terms, words)
    asked_numbers = set(NUMBER_TOKEN.findall(query))
    for sentence in considered:
        span = passage_span(sentence, question)
        chunk = sentence.candidate.chunk
        key = (chunk.source, span.start, span.end)
        if key in used:
            continue
        used.add(key)
        text = sentence.source.text[span.start : span.end]
        best_text = sentence.source.text[sentence.span.start : sentence.span.end]
        # the answer is looked for in the best sentence, then in the rest of the passage
        answer = answer_span(question, best_text, _focus(terms(query), best_text, 0, terms))
        if answer is not None:
            answer = Span(sentence.span.start + answer.start, sentence.span.start + answer.end)
        elif (span.start, span.end) != (sentence.span.start, sentence.span.end):
            answer = answer_span(question, text, _focus(terms(query), text, 0, terms))
            if answer is not None:
                answer = Span(span.start + answer.start, span.start + answer.end)
        answer_words = _normal(sentence.source.text[answer.start : answer.end]) if answer else ""
        sentence_terms = set(terms(best_text))
        # formats (issue 12): the line, and for a paged format the page and the line on it
        citation = sentence.source.citation(_shown_path(chunk.source), chunk.source, span.start, span.end)
        merged = False
        for index, (other, other_terms, other_answer) in enumerate(kept):
            overlap = len(sentence_terms & other_terms) / max(1, len(sentence_terms | other_terms))
            same_answer = _same_answer(answer_words, other_answer)
            overlapping = other.citation.path == chunk.source and not (
                span.end <= other.citation.start or span.start >= other.citation.end
            )
            # sources agree only on a fact of the same date: a passage that names the question's
            # year (or other number) is not corroborated by one that does not
            same_numbers = _numbers_named(asked_numbers, other.text) == _numbers_named(asked_numbers, text)
            if overlapping or (same_numbers and (overlap >= 0.6 or (same_answer and overlap >= 0.25))):
                if other.citation.path != chunk.source and all(c.path != chunk.source for c in other.also_in):
                    kept[index] = (
                        Passage(other.text, other.citation, other.score, other.title, other.answer,
                                (*other.also_in, citation), other.dated),
                        other_terms,
                        other_answer,
                    )
                merged = True
                break
        if merged:
            continue
        if len(kept) < top_k:
            dated = dated_by(sentence.source, chunk.source, span, answer, question) if answer else None
            kept.append(
                (
                    Passage(text, citation, round(sentence.score, 4), chunk.title, answer, dated=dated),
                    sentence_terms,
                    answer_words,
                )
            )
    return [passage for passage, _, _ in kept]


__all__ = ["Weights", "build_passages", "candidate_spans", "passage_span", "rank_sentences"]
