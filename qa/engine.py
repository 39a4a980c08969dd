"""The assistant: one object that answers questions from an index, used by the CLI, TUI and evals."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable

import numpy as np

from config.errors import EmptyQuestion, QuestionTooLong
from config.settings import Settings, load_settings
from config.tuning import TUNED
from index.documents.lines import Span
from index.embedding import Encoder
from index.encoder_protocol import SentenceEncoder
from index.ingest import refresh_lexical
from index.lexical import LexicalIndex, function_terms
from index.parses import Parses
from index.store import Store
from index.terms import TermCache, normal_words, numbers_in, numbers_said
from index.texts import CanonicalTexts
from qa.answer import build_passages, keep_recall, leading_documents, passage_span, same_answer
from qa.answer_types import AnswerType, answer_type, candidate_spans, without_type_words
from qa.catalogue import IndexedDocument, indexed_documents
from qa.constraints import constrained
from qa.conversation import Conversation, ConversationTurn, follow_up_topic, resolve_query, typed_question
from qa.coverage import question_names, unknown_words
from qa.evidence import QUESTION_WORD, Evidence
from qa.lookups import Lookups
from qa.passages import Answer, Citation, Passage
from qa.reader import MODEL_DIR, Reader, answering_sentence, read_passages
from qa.retrieve import Candidate, HybridRetriever
from qa.sentences import ScoredSentence, Shown, Weights, rank_sentences
from qa.show import ShownText, show
from qa.site import SITE_TITLE_DOCUMENTS, mentions_besides, shared_lines
from qa.sources import SourceFiles
from qa.timeline import PRESENT, asks_for_present, newest_first, timeline_of, year_of, years_named

SENTENCE_POOL = TUNED.sentence_pool


class Assistant:
    """Answers questions with verbatim, cited passages from an index."""

    def __init__(self, settings: Settings, store: Store, encoder: SentenceEncoder, lexical: LexicalIndex,
                 weights: Weights | None = None) -> None:
        self.settings = settings
        self.store = store
        self.encoder = encoder
        self.lexical = lexical
        self.weights = weights or Weights()
        self.files = SourceFiles(CanonicalTexts(store))  # a scan's text as read by OCR at ingest
        self.parses = Parses(store)  # each file's entities and relations, read by the English model at ingest
        self.terms = TermCache()  # each text's BM25 terms, shared by the retriever and the answerer
        self.lookups = Lookups(self.files, self.terms, self.idf, store.file_records, self.parses)
        self._idf: dict[str, float] = {}
        self._reader: Reader | None = None
        self.retriever = HybridRetriever(store, encoder, lexical, settings.candidates, settings.dense_weight,
                                         terms=self.terms)

    @classmethod
    def open(cls, index: Settings | str | os.PathLike[str] | None = None,
             encoder: SentenceEncoder | None = None) -> Assistant:
        """Open an index: a folder or a Chroma server URL (None: `$QA_INDEX` or `.qa/index`), the
        other settings from `$QA_*` and `qa.toml` as the CLI reads them, or given whole as `Settings`
        (raises IndexMissing, IndexBroken, IndexUnreachable: `QAError`s whose text says what to do)."""
        settings = index if isinstance(index, Settings) else load_settings(index=None if index is None else
                                                                           os.fspath(index))
        store = Store(settings)
        encoder = encoder or Encoder.from_settings(settings)  # loads nothing until it first encodes
        store.check_compatible(encoder)
        lexical = refresh_lexical(store, settings, save=False)  # asking never writes: ingest saves BM25
        return cls(settings, store, encoder, lexical)

    def show(self, citation: str | Citation) -> ShownText:
        """A citation ("report.pdf:p3:12", or a passage's `Citation`) with the lines around it (raises
        BadCitation)."""
        return show(citation if isinstance(citation, str) else citation.label, self.store)

    def sources(self) -> tuple[IndexedDocument, ...]:
        """The indexed documents, with their titles, dates, formats and passage counts."""
        return indexed_documents(self.store)

    def warm_up(self) -> None:
        """Load the models and run one query, so the first real question is fast."""
        self.encoder.encode(["warm up"])
        reader = self.reader()
        if reader is not None:
            reader.read("warm up", ["Warm up."])

    def reader(self) -> Reader | None:
        """The reading model (loaded on first use), or None when `Settings.reader` turns it off."""
        if not self.settings.reader:
            return None
        if self._reader is None:
            self._reader = Reader.load(MODEL_DIR)
        return self._reader

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
        given, question = question, " ".join(valid_text(question).split())
        if not any(ch.isalnum() for ch in question):
            raise EmptyQuestion()
        if len(question) > QuestionTooLong.LIMIT:
            raise QuestionTooLong(len(question))
        top_k = top_k or self.settings.top_k
        self.files.new_question()  # each cited file is hashed once for this question
        history = conversation.topics if conversation else []
        query = resolve_query(question, history, self.terms)
        asked = typed_question(question, conversation.questions if conversation else [], self.terms)
        vector = self.encoder.encode([query])[0]
        candidates = self.retriever.search(query, k=SENTENCE_POOL, vector=vector, mode=mode)
        topic = follow_up_topic(question, history, self.terms)
        # a follow-up asks for something new: the answer just given is not given again
        before = conversation.last_shown if conversation and len(topic) > 1 else None
        # ... nor what the turns before that one, which it leans on too, showed (`answer_from`)
        earlier = conversation.shown_before_last(len(topic) - 2) if conversation else ()
        answer = self.answer_from(asked, query, candidates, top_k, vector, before, " ".join(topic), earlier)
        if conversation is not None:
            first = answer.passages[0] if answer.passages and not answer.abstained else None
            shown = Shown.of(first) if first else None
            conversation.turns.append(ConversationTurn(query, asked, "\n".join(topic), shown))
        # the question as asked (a batch's answers are matched to its lines by it); the query as a person
        # reads it (the search weighs the follow-up's own words double)
        return dataclasses.replace(answer, question=valid_text(given), query=" ".join(topic),
                                   seconds=time.perf_counter() - began)

    def answer_from(self, question: str, query: str, candidates: list[Candidate], top_k: int,
                    vector: np.ndarray | None = None, before: Shown | None = None,
                    reading: str | None = None, earlier: tuple[Shown, ...] = ()) -> Answer:
        """Pick and cite the answering passages among retrieved chunks (`vector`: the query's, to
        compare single sentences with it; `before`: the answer the question follows up on; `reading`:
        what the reader reads, a follow-up with the questions it leans on; `earlier`: the first
        passages of the turns before the last that it leans on), or abstain."""
        stale: list[str] = []
        sentences = rank_sentences(question, query, candidates, self.lookups, self.weights, stale, vector, before)
        sentences = self.keep_to_years(sentences, years_named(question))
        leading = leading_documents(sentences, self.lookups, top_k)
        pool = build_passages(question, query, sentences, self.lookups, max(top_k, TUNED.timeline_depth),
                              newest=asks_for_present(question), leading=leading)
        pool = keep_recall(pool, leading, top_k, TUNED.passages_by_score)
        kind = answer_type(question)
        if before is not None:  # the answer just given, given again, goes last; so does the very passage
            # an earlier turn showed, when it marks no answer of the kind now asked ("... suspended in 2003"
            # for "and who led the cuban side?" after "and when were they resumed?"); the last turn's may
            # hold the new answer in words our patterns miss ("who restarted them?" after "... resumed")
            pool.sort(key=lambda p: before.same_as(p) or (
                kind is not AnswerType.OTHER and any(shown.shown_again(p) for shown in earlier)))
        reader = self.reader()
        read = None
        moved_from = None  # the first passage as the sentences chose it, when the reader moved it
        if reader is not None:
            kinds = None if kind is AnswerType.OTHER else (lambda text: candidate_spans(kind, text))
            pool, read = read_passages(pool, reader, reading or question, kinds,
                                       demoted=before.same_as if before is not None else None)
            # a follow-up keeps its sentences; a first passage the reader is already sure of is not moved
            if pool and read is not None and TUNED.reader_rereads_chunk and before is None and (
                    read.answerable < 1 - TUNED.reader_reread_margin):
                reread = self.reread_first(pool, sentences, reader, question, kinds)
                moved_from, pool = (pool[0] if reread[0] is not pool[0] else None), reread
        # who did what to which one: judged on the documents' parses (a passage that satisfies it marks its doer)
        judged = constrained(question, kind, pool, self.files, self.parses)
        pool = judged.passages
        passages = pool[:top_k]
        if not sentences:
            return Answer(question, query, True, tuple(passages), 0.0, tuple(stale), reader=reader and reader.name)
        first = passages[0] if passages else None
        evidence = self.evidence(query, sentences, first, question)
        confidence = evidence.confidence
        if moved_from is not None:  # no surer than of the passage the sentences chose
            confidence = min(confidence, self.evidence(query, sentences, moved_from, question).confidence)
        # the reader judges the passage against a question like this one; a name or number of the question
        # that the passage's document never says is a question about something else
        confidence += TUNED.reader_weight * getattr(read, TUNED.reader_score) * (1 - evidence.unsaid) if read else 0.0
        # a version or year the question is about that no document says is a constraint no sentence satisfies
        abstained = not passages or confidence < self.settings.abstain_threshold or bool(evidence.unknown_numbers)
        # why, in words, only when it is said (naming the words costs a tokenizer call each); an
        # answer that is given still says what it visibly lacks; a constraint no sentence satisfies says so
        shortfall = evidence.shortfall(self.missing_words(evidence)) if abstained else evidence.caution()
        if judged.unmet:
            abstained, shortfall = True, judged.unmet
        timeline = None
        if not abstained and kind is not AnswerType.OTHER:
            answering = [p for p in pool if p.answer is not None
                         and self.lacking(query, p) <= TUNED.timeline_max_lacking]
            timeline = timeline_of(question, answering, lambda a, b: same_answer(normal_words(a), normal_words(b)))
            if asks_for_present(question):
                passages = newest_first(pool, answering)[:top_k]
        return Answer(question, query, abstained, tuple(passages), confidence, tuple(stale), shortfall=shortfall,
                      unknown=evidence.unknown_names, timeline=timeline, reader=reader and reader.name)

    def reread_first(self, pool: list[Passage], sentences: list[ScoredSentence], reader: Reader, question: str,
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
            return next((passage_span(s, question) for s in sentences
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

    def keep_to_years(self, sentences: list[ScoredSentence], years: frozenset[int]) -> list[ScoredSentence]:
        """For a question that names a time ("in 2014"): the sentences of documents dated in another
        year after the others (the ranking within each part kept). An undated document is not moved:
        a passage that merely names the year ("the first talks since 2018") is not of that time."""
        if not years:
            return sentences

        def of_another_time(s: ScoredSentence) -> bool:
            year = year_of(self.lookups.date_of(s.source, s.candidate.chunk.source, s.candidate.chunk.title))
            return year is not None and year not in years

        return sorted(sentences, key=of_another_time)

    def lacking(self, query: str, passage: Passage) -> float:
        """The idf-weighted share of the question's content words that `passage`, with its
        document's name, title and date line, lacks (0: it has them all)."""
        source = self.files.get(passage.citation.path)
        context = self.lookups.document_context(source, passage.citation.path, passage.title) if source else ""
        content = self.content_terms(PRESENT.sub(" ", without_type_words(query)))  # "now": when, not what
        # a word no document holds ("who heads ..." of "X led ...") is lacked by every passage alike
        known = [t for t in content if t in self.lexical] or content
        return self.share_lacking(known, set(self.terms(passage.text + " " + context)))

    def content_terms(self, about: str) -> list[str]:
        """What a question is about, as terms: each once, no function words."""
        return [t for t in dict.fromkeys(self.terms(about)) if t not in function_terms()]

    def share_lacking(self, content: list[str], present: set[str]) -> float:
        """The idf-weighted share of `content` terms not in `present` (0: none lacking)."""
        total = sum(self.idf(t) for t in content) or 1.0
        return sum(self.idf(t) for t in content if t not in present) / total

    def evidence(self, query: str, sentences: list[ScoredSentence], passage: Passage | None = None,
                 question: str | None = None) -> Evidence:
        """The signals that the first passage answers (see `Evidence`); `sentences` is not empty."""
        best = sentences[0]
        chunk = best.candidate.chunk
        text = passage.text if passage is not None else best.source.text[best.span.start : best.span.end]
        around = text + " " + self.lookups.document_context(best.source, chunk.source, chunk.title)
        about = without_type_words(query)
        self.terms.prime([around, about])  # one tokenizer call for both
        # what the question is about: no answer-kind words ("how many"), no function words
        content = self.content_terms(about)
        present = set(self.terms(around))
        lacking = self.share_lacking(content, present)
        numbers = numbers_in(query)
        numbers_around = numbers_said(around)
        absent_numbers = [n for n in numbers if n not in numbers_around]
        numbers_missing = len(absent_numbers) / len(numbers) if numbers else 0.0
        kind = answer_type(question or query)
        no_answer = kind is not AnswerType.OTHER and passage is not None and passage.answer is None
        asked = question or query
        read = list({id(s.source): s for s in sentences}.values())  # a sentence of each document read
        shared = shared_lines(s.source for s in read) if len(read) >= SITE_TITLE_DOCUMENTS else frozenset()
        unknown = self.unknown_names(asked, read, shared)
        # the question's own names and numbers that the passage's document never says, its name, title and
        # date line included, a footer its site's pages share not (a name no document says is counted by
        # `unknown` instead)
        said = f" {normal_words(around)} "
        names = [name for name in question_names(asked) if name not in unknown and self.content_terms(name)]  # not "I"
        document = (self.files.get(passage.citation.path) if passage is not None else None) or best.source
        site = self.lookups.site_title_parts()
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
        unknown = unknown_words(question, self.lexical, self.terms, function_terms()).names
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
        missing = [word for word in dict.fromkeys(QUESTION_WORD.findall(evidence.about))
                   if word in evidence.absent_numbers or any(t in evidence.absent_terms for t in self.terms(word))]
        missing.sort(key=lambda word: -max((self.idf(t) for t in self.terms(word)), default=99.0))
        return tuple(missing)


def valid_text(text: str) -> str:
    """`text` with any lone surrogate (a byte that was not UTF-8, as Python decodes argv and stdin)
    replaced by U+FFFD, so that the tokenizer never meets one."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            raw = text.encode("utf-8", "surrogateescape")  # the bytes as they came
        except UnicodeEncodeError:
            raw = text.encode("utf-8", "surrogatepass")
        return raw.decode("utf-8", "replace")
