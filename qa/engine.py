"""The assistant: opens an index, holds its models, and asks the pipeline (`qa.pipeline`) each question;
used by the CLI, the app, `qa mcp`, the Python API and the evals."""

from __future__ import annotations

import dataclasses
import os
import time

from config.settings import Settings, load_settings
from index.embedding import Encoder
from index.encoder_protocol import SentenceEncoder
from index.lexical import LexicalIndex
from index.lexical_sync import lexical_in_line
from index.parses import Parses
from index.store import Store
from index.terms import TermCache
from index.texts import CanonicalTexts
from qa import pipeline
from qa.catalogue import IndexedDocument, indexed_documents
from qa.conversation import Conversation, ConversationTurn, follow_up_topic, resolve_query, typed_question
from qa.lookups import Lookups
from qa.passages import Answer, Citation
from qa.pipeline import Question, Stages
from qa.question import checked_question, valid_text
from qa.reader import MODEL_DIR, Reader
from qa.retrieve import Candidate, HybridRetriever
from qa.sentences import Shown, Weights
from qa.show import ShownText, show
from qa.sources import SourceFiles

__all__ = ["Assistant"]



class Assistant:
    """Answers questions with verbatim, cited passages from an index."""

    def __init__(self, settings: Settings, store: Store, encoder: SentenceEncoder, lexical: LexicalIndex,
                 weights: Weights | None = None) -> None:
        self.settings = settings
        self.store = store
        self.encoder = encoder
        self.lexical = lexical
        self.weights = weights or Weights()
        self.files = SourceFiles(CanonicalTexts(store))  # each file's text as read at ingest
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
        lexical = lexical_in_line(store, settings)  # asking never writes: the ingest saves BM25
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

    def stages(self) -> Stages:
        """What the pipeline's stages work with."""
        return Stages(self.encoder, self.retriever, self.lookups, self.lexical, self.weights, self.reader,
                      self.settings.abstain_threshold)

    def ask(self, question: str, conversation: Conversation | None = None, top_k: int | None = None,
            mode: str = "hybrid") -> Answer:
        """Answer `question`; with a conversation, a follow-up is read in the light of the last turn."""
        began = time.perf_counter()
        given, question = question, checked_question(question)
        self.files.new_question()  # each cited file is hashed once for this question
        history = conversation.topics if conversation else []
        query = resolve_query(question, history, self.terms)
        asked = typed_question(question, conversation.questions if conversation else [], self.terms)
        topic = follow_up_topic(question, history, self.terms)
        # a follow-up asks for something new: the answer just given is not given again
        before = conversation.last_shown if conversation and len(topic) > 1 else None
        # ... nor what the turns before that one, which it leans on too, showed (`choose_passages`)
        earlier = conversation.shown_before_last(len(topic) - 2) if conversation else ()
        answer = pipeline.ask(self.stages(), Question(asked, query, top_k or self.settings.top_k, " ".join(topic),
                                                      before, earlier, mode))
        if conversation is not None:
            first = answer.passages[0] if answer.passages and not answer.abstained else None
            shown = Shown.of(first) if first else None
            conversation.turns.append(ConversationTurn(query, asked, "\n".join(topic), shown))
        # the question as asked (a batch's answers are matched to its lines by it); the query as a person
        # reads it (the search weighs the follow-up's own words double)
        return dataclasses.replace(answer, question=valid_text(given), query=" ".join(topic),
                                   seconds=time.perf_counter() - began)

    def answer_from(self, question: str, query: str, candidates: list[Candidate], top_k: int) -> Answer:
        """Answer a question that follows none from chunks retrieved already (the benchmarks leave some
        documents out of them)."""
        return pipeline.answer_from(self.stages(), Question(question, query, top_k), candidates)
