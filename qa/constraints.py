"""A question's constraint judged on the documents' parses: who did what to which one.

"Who led the Cuban delegation?" asks for the doer of a relation (lead, delegation) that the question
narrows by its modifiers ("Cuban"). The documents' sentences were parsed at ingest (`index.parses`: the
doer, the verb, the thing and the words that say which one); the question is not parsed: its words are
matched against the stored relations (the verb by its form or lemma, then the thing after it, and the
words between them, less determiners, are the question's modifiers). A relation whose thing carries the
question's modifiers marks its doer as the answer ("Alex Lee led the U.S. delegation, Josefina Vidal led
the Cuban delegation": Vidal); when every relation found carries other modifiers, no sentence satisfies
the constraint and the answer abstains, saying so.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

from index.documents.chunking import Span
from index.parses import Parse, Parses, Relation
from qa.answer_types import AnswerType
from qa.english.words import DETERMINERS
from qa.passages import Passage
from qa.sources import SourceFiles
from qa.timeline import of_years, years_named

QUESTION_WORD = re.compile(r"\w+(?:\.\w+)*\.?")  # a word, "U.S." whole


def normal(word: str) -> str:
    """A word as compared: lower case, without full stops ("U.S." and "us" are one word)."""
    return word.lower().replace(".", "")


@dataclass(frozen=True)
class Asked:
    """What a question asks of a relation: its verb and thing as the question words them, and the words
    that say which thing (`modifiers`, normalised)."""

    phrase: str  # the question's words from the verb to the thing ("led the cuban delegation")
    modifiers: tuple[str, ...]


@dataclass(frozen=True)
class Found:
    """A relation of a passage's sentence that the question asks about, and whether it satisfies it."""

    relation: Relation
    text: str  # the document's canonical text
    satisfies: bool

    @property
    def said(self) -> str:
        """What the sentence says, in its own words: "“Craig Kelley” led the U.S. delegation"."""
        r = self.relation
        doer, verb = self.text[r.doer[0] : r.doer[1]], self.text[r.verb[0] : r.verb[1]]
        return f"“{doer}” {verb} {self.text[r.phrase[0] : r.phrase[1]]}"


@dataclass(frozen=True)
class Judged:
    """The passages after the constraint was judged: re-marked and re-ordered; `unmet` says why none
    satisfies it ("" when one does, or the question has no constraint a parse can judge)."""

    passages: list[Passage]
    unmet: str = ""


def asked_of(question: str, relation: Relation, text: str) -> Asked | None:
    """What `question` asks of `relation` (a sentence of `text`), or None when it does not ask about it: its
    verb, then its thing later, are among the question's words."""
    words = list(QUESTION_WORD.finditer(question))
    forms = [normal(w.group()) for w in words]
    verb = {relation.lemma, normal(text[relation.verb[0] : relation.verb[1]])}
    thing = {relation.thing_lemma, normal(text[relation.thing[0] : relation.thing[1]])}
    at_verb = next((i for i, form in enumerate(forms) if form in verb), None)
    if at_verb is None:
        return None
    at_thing = next((i for i in range(at_verb + 1, len(forms)) if forms[i] in thing), None)
    if at_thing is None:
        return None
    modifiers = tuple(form for form in forms[at_verb + 1 : at_thing] if form not in DETERMINERS)
    return Asked(question[words[at_verb].start() : words[at_thing].end()], modifiers)


def found_in(question: str, passage: Passage, parse: Parse, text: str) -> tuple[list[Found], Asked | None]:
    """The relations of the passage's sentences that the question constrains (by modifiers), each judged."""
    start, end = passage.citation.start, passage.citation.end
    found: list[Found] = []
    asked = None
    for sentence in parse.sentences_in(start, end):
        for relation in sentence.relations:
            if not (start <= relation.doer[0] and relation.doer[1] <= end):
                continue
            wanted = asked_of(question, relation, text)
            if wanted is None or not wanted.modifiers:
                continue
            own = {normal(m) for m in relation.modifiers}
            if set(wanted.modifiers) <= own:
                found.append(Found(relation, text, True))
            elif own:
                found.append(Found(relation, text, False))
            asked = asked or wanted
    return found, asked


def judge(question: str, passages: list[Passage], parse_of: Callable[[Passage], tuple[Parse, str] | None],
          of_time: Callable[[Passage], bool]) -> Judged:
    """Judge the question's constraint on the passages' parses: a passage whose sentence satisfies it marks
    that relation's doer and, when its document is of the time asked (`of_time`), goes first; when none
    does and some say the same of another one, `unmet` says so."""
    marked: list[Passage] = []
    satisfied: list[bool] = []
    contrary: list[Found] = []
    asked: Asked | None = None
    for passage in passages:
        parsed = parse_of(passage)
        found, wanted = found_in(question, passage, *parsed) if parsed else ([], None)
        asked = asked or wanted
        meets = next((f for f in found if f.satisfies), None)
        if meets is not None:
            passage = dataclasses.replace(passage, answer=Span(*meets.relation.doer))
        contrary.extend(f for f in found if not f.satisfies)
        marked.append(passage)
        satisfied.append(meets is not None and of_time(passage))
    if asked is None:
        return Judged(passages)
    if any(satisfied):
        order = sorted(range(len(marked)), key=lambda i: not satisfied[i])
        return Judged([marked[i] for i in order])
    if not contrary:
        return Judged(marked)
    return Judged(marked, f"says {contrary[0].said}, and no passage says who {asked.phrase}")



def constrained(question: str, kind: AnswerType, passages: list[Passage], files: SourceFiles,
                parses: Parses) -> Judged:
    """`judge` for a question that asks who (or which organisation) did something, on the parses kept for
    the passages' files; a question that names a year wants a passage of that year (`of_years`)."""
    if kind not in (AnswerType.PERSON, AnswerType.ORGANIZATION) or not passages:
        return Judged(passages)
    years = years_named(question)

    def parse_of(passage: Passage) -> tuple[Parse, str] | None:
        source = files.get(passage.citation.path)
        parse = parses.get(source.sha256) if source is not None and source.sha256 else None
        return (parse, source.text) if parse is not None and source is not None else None

    return judge(question, passages, parse_of, lambda passage: not years or of_years(passage, years))
