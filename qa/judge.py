"""The judge stage: the evidence that the first passage answers, the confidence made of it, and whether
to abstain, with what the passage visibly lacks (`Judgement`; `qa.render` says it in words)."""

from __future__ import annotations

from dataclasses import dataclass

from config.tuning import TUNED
from index.documents.chunking import SECTION_NUMBER, TITLE_SEPARATOR
from index.lexical import LexicalIndex, function_terms
from index.terms import normal_words, numbers_in, numbers_said
from qa.answer_types import AnswerType, answer_span, answer_type, without_type_words
from qa.coverage import question_names, unknown_words
from qa.evidence import QUESTION_WORD, Evidence
from qa.lookups import Lookups
from qa.passages import Passage, Shortfall, Unmet
from qa.read import Read
from qa.sentences import ScoredSentence
from qa.site import SITE_TITLE_DOCUMENTS, mentions_besides, shared_lines
from qa.timeline import PRESENT


@dataclass(frozen=True)
class Judgement:
    """Whether the first passage answers: the confidence (0..1), whether to abstain, what the passage
    lacks (why it abstains, or what to check before quoting it) and the question's names no document
    says."""

    abstained: bool
    confidence: float
    shortfall: Shortfall
    unknown: tuple[str, ...]


@dataclass(frozen=True)
class Judge:
    """Judges passages against a question with what the index knows: its lookups and its BM25 terms."""

    lookups: Lookups
    lexical: LexicalIndex

    def judge(self, question: str, query: str, sentences: list[ScoredSentence], read: Read,
              passages: tuple[Passage, ...], threshold: float, unmet: Unmet | None = None) -> Judgement:
        """The judgement of the first of `passages` (`sentences` is not empty): below `threshold`
        confidence, asked about a version or year no document says, or with a constraint no passage
        satisfies (`unmet`), it abstains, saying why. The reader's
        reading adds its weight; a first passage the reader moved is judged no surer than the one
        the sentences chose."""
        evidence = self.evidence(query, sentences, passages[0] if passages else None, question)
        confidence = evidence.confidence
        if read.moved_from is not None:  # no surer than of the passage the sentences chose
            confidence = min(confidence, self.evidence(query, sentences, read.moved_from, question).confidence)
        # the reader judges the passage against a question like this one; a name or number of the question
        # that the passage's document never says is a question about something else
        if read.reading is not None:
            confidence += TUNED.reader_weight * getattr(read.reading, TUNED.reader_score) * (1 - evidence.unsaid)
        # a version or year the question is about that no document says is a constraint no sentence satisfies
        abstained = not passages or confidence < threshold or bool(evidence.unknown_numbers)
        # the words lacked, only when abstaining (naming them costs a tokenizer call each); an answer that
        # is given still says what it visibly lacks
        shortfall = evidence.shortfall(self.missing_words(evidence)) if abstained else evidence.caution()
        if unmet is not None:  # who did what to which one: no sentence says it of the one asked about
            abstained, shortfall = True, Shortfall(unmet=unmet)
        return Judgement(abstained, confidence, shortfall, evidence.unknown_names)

    def lacking(self, query: str, passage: Passage) -> float:
        """The idf-weighted share of the question's content words that `passage`, with its
        document's name, title and date line, lacks (0: it has them all)."""
        source = self.lookups.files.get(passage.citation.path)
        context = self.lookups.document_context(source, passage.citation.path, passage.title) if source else ""
        content = self.content_terms(PRESENT.sub(" ", without_type_words(query)))  # "now": when, not what
        # a word no document holds ("who heads ..." of "X led ...") is lacked by every passage alike
        known = [t for t in content if t in self.lexical] or content
        return self.share_lacking(known, set(self.lookups.terms(passage.text + " " + context)))

    def content_terms(self, about: str) -> list[str]:
        """What a question is about, as terms: each once, no function words."""
        return [t for t in dict.fromkeys(self.lookups.terms(about)) if t not in function_terms()]

    def share_lacking(self, content: list[str], present: set[str]) -> float:
        """The idf-weighted share of `content` terms not in `present` (0: none lacking)."""
        idf = self.lookups.idf
        total = sum(idf(t) for t in content) or 1.0
        return sum(idf(t) for t in content if t not in present) / total

    def evidence(self, query: str, sentences: list[ScoredSentence], passage: Passage | None = None,
                 question: str | None = None) -> Evidence:
        """The signals that the first passage answers (see `Evidence`); `sentences` is not empty."""
        lookups = self.lookups
        best = sentences[0]
        chunk = best.candidate.chunk
        text = passage.text if passage is not None else best.source.text[best.span.start : best.span.end]
        around = text + " " + lookups.document_context(best.source, chunk.source, chunk.title)
        about = without_type_words(query)
        lookups.terms.prime([around, about])  # one tokenizer call for both
        # what the question is about: no answer-kind words ("how many"), no function words
        content = self.content_terms(about)
        present = set(lookups.terms(around))
        lacking = self.share_lacking(content, present)
        numbers = numbers_in(query)
        numbers_around = numbers_said(around)
        absent_numbers = [n for n in numbers if n not in numbers_around]
        numbers_missing = len(absent_numbers) / len(numbers) if numbers else 0.0
        kind = answer_type(question or query)
        no_answer = (kind is not AnswerType.OTHER and passage is not None and passage.answer is None
                     and not section_answers(question or query, passage.title))
        asked = question or query
        read = list({id(s.source): s for s in sentences}.values())  # a sentence of each document read
        shared = shared_lines(s.source for s in read) if len(read) >= SITE_TITLE_DOCUMENTS else frozenset()
        unknown = self.unknown_names(asked, read, shared)
        # the question's own names and numbers that the passage's document never says, its name, title and
        # date line included, a footer its site's pages share not (a name no document says is counted by
        # `unknown` instead)
        said = f" {normal_words(around)} "
        names = [name for name in question_names(asked) if name not in unknown and self.content_terms(name)]  # not "I"
        document = (lookups.files.get(passage.citation.path) if passage is not None else None) or best.source
        site = lookups.site_title_parts()
        foreign = [word for word in names
                   if f" {normal_words(word)} " not in said and not mentions_besides(document, word, shared, site)]
        asked_numbers = [n for n in numbers_in(asked) if n not in unknown]
        foreign += [n for n in asked_numbers  # a number only as itself
                    if n not in numbers_around and not mentions_besides(document, n, shared, site)]
        named = [*names, *asked_numbers]
        return Evidence(max(s.candidate.dense for s in sentences), lacking, numbers_missing, no_answer, kind,
                        tuple(absent_numbers), about, frozenset(t for t in content if t not in present), unknown,
                        len(foreign) / len(named) if named else 0.0, tuple(foreign), len(named))

    def unknown_names(self, question: str, read: list[ScoredSentence], shared: frozenset[str]) -> tuple[str, ...]:
        """The names and numbers of `question` that no document says (`read`: a sentence of each document read
        for it): not in the index's terms, or only in what every page of a site carries, the site's part of
        titles ("Flask" of "Templates - Flask Documentation") and the lines its pages share (`shared`)."""
        unknown = unknown_words(question, self.lexical, self.lookups.terms, function_terms()).names
        title_parts = self.lookups.site_title_parts()
        site = [*title_parts, *shared]
        if site:
            site_words, site_numbers = f" {normal_words(' '.join(site))} ", numbers_said(" ".join(site))
            unknown += tuple(name for name in [*question_names(question), *numbers_in(question)] if name not in unknown
                             and (name in site_numbers or f" {normal_words(name)} " in site_words))
        if not unknown:
            return ()
        # the index lacks it, but a line it left out may say it (a licence's "Version 2.0, January 2004"), or
        # its document's name or date ("2010-voa-....txt"): "no document mentions" is never said of a document
        # read for this question that does
        contexts = " ".join(self.lookups.document_context(s.source, s.candidate.chunk.source, s.candidate.chunk.title)
                            for s in read)
        said, numbers = f" {normal_words(contexts)} ", numbers_said(contexts)
        return tuple(name for name in unknown
                     if not any(mentions_besides(s.source, name, shared, title_parts) for s in read)
                     and name not in numbers and f" {normal_words(name)} " not in said)

    def missing_words(self, evidence: Evidence) -> tuple[str, ...]:
        """The question's own words (and numbers) that the passage lacks, the rarest first."""
        terms, idf = self.lookups.terms, self.lookups.idf
        missing = [word for word in dict.fromkeys(QUESTION_WORD.findall(evidence.about))
                   if word in evidence.absent_numbers or any(t in evidence.absent_terms for t in terms(word))]
        missing.sort(key=lambda word: -max((idf(t) for t in terms(word)), default=99.0))
        return tuple(missing)


def section_answers(question: str, title: str) -> bool:
    """Whether a heading the passage is under (its title less its document's, as the card shows it) holds
    an answer of the kind `question` asks for: a changelog's "0.28.0 (28th November, 2024)" above "The
    deprecated `proxies` argument has now been removed." answers "which version removed proxies?"; a
    section's number ("3.5. The PRIMARY KEY") is no answer."""
    return any(answer_span(question, SECTION_NUMBER.sub("", heading)) is not None
               for heading in title.split(TITLE_SEPARATOR)[1:])
