"""From ranked sentences to answering passages: each best sentence with its context (`qa.extent`), the
answer marked, and sources that state the same fact folded into one passage."""

from __future__ import annotations

import re
from dataclasses import dataclass

from config.tuning import TUNED
from index.documents.lines import Span
from index.terms import TermCache, normal_words, numbers_in, numbers_said
from qa.answer_types import AnswerType, answer_span, answer_type
from qa.lookups import Lookups, document_date
from qa.passages import Citation, Dated, Passage
from qa.sentences import ScoredSentence, Shown
from qa.sources import SourceText


def _focus(query_terms: list[str], text: str, offset: int, terms: TermCache) -> list[Span]:
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


def _numbers_named(numbers: set[str], text: str) -> set[str]:
    """Which of `numbers` (a question's) `text` names."""
    return numbers & numbers_said(text) if numbers else set()


def same_answer(one: str, other: str) -> bool:
    """Whether two normalised answers name the same thing: equal, or one name of two words or
    more inside the other ("carlos fernandez de cossio" in "... de cossio dominguez")."""
    if not one or not other:
        return False
    a, b = one.split(), other.split()
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return a == b or (len(shorter) >= 2 and set(shorter) <= set(longer))


YEAR = re.compile(r"\b\d{4}\b")


def dated_by(source: SourceText, path: str, passage: Span, answer: Span, question: str,
             lookups: Lookups) -> Dated | None:
    """For a date answer without a year ("said Wednesday", "on November 30"), the document's own
    date line with a year, when it lies outside the passage: what a reader needs to place it."""
    if answer_type(question) is not AnswerType.DATE or YEAR.search(source.text, answer.start, answer.end):
        return None
    date = document_date(source)
    if date is None or not YEAR.search(source.text, date.start, date.end):
        return None
    if passage.start <= date.start < passage.end:
        return None
    citation = source.citation(lookups.shown_path(path), path, date.start, date.end)  # with its page, if paged
    return Dated(source.text[date.start : date.end], citation)


@dataclass(frozen=True)
class Kept:
    """A passage chosen so far, with what later passages are compared with to see if they agree."""

    passage: Passage
    terms: set[str]  # its best sentence's terms
    answer: str  # its answer's words, normalised ("" when none)


def answer_in(sentence: ScoredSentence, span: Span, question: str, query: str, terms: TermCache,
              lookups: Lookups | None = None) -> Span | None:
    """The answer span (in the file's offsets): looked for in the best sentence, then in the rest
    of its passage `span` (a person among those the English model named, when `lookups` keeps them)."""
    text = sentence.source.text

    def people(start: int, end: int) -> list[Span] | None:
        return lookups.people(sentence.source, start, end) if lookups is not None else None

    best_text = text[sentence.span.start : sentence.span.end]
    answer = answer_span(question, best_text, _focus(terms(query), best_text, 0, terms),
                         people(sentence.span.start, sentence.span.end))
    if answer is not None:
        return Span(sentence.span.start + answer.start, sentence.span.start + answer.end)
    if (span.start, span.end) != (sentence.span.start, sentence.span.end):
        whole = text[span.start : span.end]
        answer = answer_span(question, whole, _focus(terms(query), whole, 0, terms), people(span.start, span.end))
        if answer is not None:
            return Span(span.start + answer.start, span.start + answer.end)
    return None


def agreeing(kept: list[Kept], path: str, span: Span, text: str, sentence_terms: set[str], answer_words: str,
             asked_numbers: set[str]) -> int | None:
    """Which kept passage a new one (`text` at `span` of `path`) overlaps or states the same fact
    as, or None. Sources agree only on a fact of the same date: a passage that names the
    question's year (or other number) is not corroborated by one that does not."""
    for index, other in enumerate(kept):
        overlap = len(sentence_terms & other.terms) / max(1, len(sentence_terms | other.terms))
        agrees = same_answer(answer_words, other.answer)
        citation = other.passage.citation
        overlapping = citation.path == path and not (span.end <= citation.start or span.start >= citation.end)
        same_numbers = _numbers_named(asked_numbers, other.passage.text) == _numbers_named(asked_numbers, text)
        if overlapping or (same_numbers and (overlap >= TUNED.same_fact_overlap or (
                agrees and overlap >= TUNED.same_answer_overlap))):
            return index
    return None


def _with_source(kept: Kept, citation: Citation) -> Kept:
    """`kept` with another source that agrees, unless the passage cites that file already."""
    passage = kept.passage
    if passage.citation.path == citation.path or any(c.path == citation.path for c in passage.also_in):
        return kept
    return Kept(Passage(passage.text, passage.citation, passage.score, passage.title, passage.answer,
                        (*passage.also_in, citation), passage.dated), kept.terms, kept.answer)


def _newer_in_front(kept: Kept, newer: Kept) -> Kept:
    """`newer` (a passage of a later document that agrees with `kept`) shown in its place, at its rank,
    with `kept`'s sources as the ones it agrees with."""
    old, new = kept.passage, newer.passage
    also = tuple(c for c in (old.citation, *old.also_in) if c.path != new.citation.path)
    return Kept(Passage(new.text, new.citation, old.score, new.title, new.answer, also, new.dated),
                newer.terms, newer.answer)


def leading_documents(sentences: list[ScoredSentence], lookups: Lookups, count: int) -> list[str]:
    """The paths of the first `count` documents in the retriever's fused order, among the documents
    whose sentences were read and that share a word with the question (BM25 scores them): the dense
    side ranks every document of a small folder, the coral reefs too for a question about glaciers."""
    ranked = sorted({s.candidate.chunk.id: s.candidate for s in sentences if s.candidate.lexical > 0}.values(),
                    key=lambda c: c.ranks.fused)
    return list(dict.fromkeys(lookups.shown_path(c.chunk.source) for c in ranked))[:count]


def documents_of(passage: Passage) -> set[str]:
    """The files a passage cites: its own and those of the sources that agree with it."""
    return {passage.citation.path, *(c.path for c in passage.also_in)}


def keep_recall(passages: list[Passage], leading: list[str], shown: int, fixed: int) -> list[Passage]:
    """`passages` reordered so that the first `shown` cite each of the `leading` documents that has
    a passage at all, as far as the places after the first `fixed` allow: what the retriever found
    among its first documents is not lost to a further passage of one document, or to a document it
    ranked lower. The one that makes room is the last shown passage of a document shown already,
    else of a document outside `leading`; the first `fixed` keep their places, and one that makes
    room stays in the list, after the shown ones."""
    top, rest = passages[:shown], passages[shown:]
    wanted = set(leading)
    for path in leading:
        if any(path in documents_of(p) for p in top):
            continue
        late = next((p for p in rest if path in documents_of(p)), None)
        if late is None:
            continue
        def room(i: int) -> int:  # 2: a document shown earlier too; 1: not a leading one; 0: keep
            cited = documents_of(top[i])
            if any(cited <= documents_of(p) for p in top[:i]):
                return 2
            return 1 if not cited & wanted else 0
        free = max(range(len(top) - 1, max(fixed, 1) - 1, -1), key=room, default=None)
        if free is None or room(free) == 0:
            break
        rest = [top.pop(free), *(p for p in rest if p is not late)]
        top.append(late)
    return top + rest


def build_passages(question: str, query: str, sentences: list[ScoredSentence], lookups: Lookups,
                   top_k: int, newest: bool = False, leading: list[str] = ()) -> list[Passage]:
    """The `top_k` best passages, one per place, with agreeing sources folded into `also_in`; with
    `newest` (a question about the present), the newest of agreeing sources is the one shown. A
    passage of a `leading` document that none of those cites comes after them (see `keep_recall`)."""
    terms = lookups.terms
    kept: list[Kept] = []
    spare: list[Kept] = []
    used: set[tuple[str, int, int]] = set()
    # Passages further down than this are neither shown nor likely to corroborate the ones shown.
    considered = sentences[: max(TUNED.corroboration_depth, 4 * top_k)]
    words: list[str] = []
    for sentence in considered:
        block = sentence.source.sentences(sentence.block)
        first = block[max(sentence.index - 1, 0)]
        last = block[min(sentence.index + 1, len(block) - 1)]
        words.extend(re.findall(r"\w+", sentence.source.text[min(first.start, sentence.span.start) :
                                                              max(last.end, sentence.span.end)]))
    terms.prime(words)
    asked_numbers = set(numbers_in(query))
    for sentence in considered:
        span = sentence.shown
        chunk = sentence.candidate.chunk
        if any(source == chunk.source and start < span.end and span.start < end for source, start, end in used):
            continue  # two passages never show the same words
        used.add((chunk.source, span.start, span.end))
        text = sentence.source.text[span.start : span.end]
        answer = answer_in(sentence, span, question, query, terms, lookups)
        answer_words = normal_words(sentence.source.text[answer.start : answer.end]) if answer else ""
        sentence_terms = set(terms(sentence.source.text[sentence.span.start : sentence.span.end]))
        # the line, and for a paged format the page and the line on it
        citation = sentence.source.citation(lookups.shown_path(chunk.source), chunk.source, span.start, span.end,
                                            lookups.date_of(sentence.source, chunk.source, chunk.title))
        same = agreeing(kept, chunk.source, span, text, sentence_terms, answer_words, asked_numbers)
        shown = kept[same].passage.citation if same is not None else None
        if shown is not None and not (newest and (citation.date or "") > (shown.date or "")
                                      and citation.path != shown.path):
            kept[same] = _with_source(kept[same], citation)
        elif shown is not None or len(kept) < top_k or (
                citation.path in leading and not any(citation.path in documents_of(k.passage) for k in kept + spare)):
            dated = dated_by(sentence.source, chunk.source, span, answer, question, lookups) if answer else None
            passage = Passage(text, citation, round(sentence.score, 4), chunk.title, answer, dated=dated)
            if same is not None:
                kept[same] = _newer_in_front(kept[same], Kept(passage, sentence_terms, answer_words))
            elif len(kept) < top_k:
                kept.append(Kept(passage, sentence_terms, answer_words))
            else:
                spare.append(Kept(passage, sentence_terms, answer_words))
    return [k.passage for k in kept + spare]


def choose_passages(question: str, query: str, sentences: list[ScoredSentence], lookups: Lookups, top_k: int,
                    newest: bool = False, before: Shown | None = None,
                    earlier: tuple[Shown, ...] = ()) -> list[Passage]:
    """The passages stage: the passages of the ranked sentences (`build_passages`, deep enough for a
    timeline), the leading documents kept among the first `top_k` (`keep_recall`). In a follow-up the
    answer just given (`before`), given again, goes last; so does the very passage an earlier turn
    showed (`earlier`), when it marks no answer of the kind now asked ("... suspended in 2003" for "and
    who led the cuban side?" after "and when were they resumed?"); the last turn's may hold the new
    answer in words our patterns miss ("who restarted them?" after "... resumed")."""
    leading = leading_documents(sentences, lookups, top_k)
    pool = build_passages(question, query, sentences, lookups, max(top_k, TUNED.timeline_depth), newest=newest,
                          leading=leading)
    pool = keep_recall(pool, leading, top_k, TUNED.passages_by_score)
    if before is not None:
        kind = answer_type(question)
        pool.sort(key=lambda p: before.same_as(p) or (
            kind is not AnswerType.OTHER and any(shown.shown_again(p) for shown in earlier)))
    return pool
