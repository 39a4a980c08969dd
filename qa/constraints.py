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
from functools import cache

from index.documents.lines import Span
from index.lexical import tokenize
from index.parses import Parse, Parses, Relation
from qa.answer_types import AnswerType
from qa.english.words import DETERMINERS, WH_WORDS
from qa.passages import Passage, Unmet
from qa.sources import SourceFiles
from qa.timeline import of_years, years_named

QUESTION_WORD = re.compile(r"\w+(?:[.'’]\w+)*\.?")  # a word, "U.S." and "Cuba's" whole
WH_WORD = re.compile(rf"\b(?:{'|'.join(WH_WORDS)})\b", re.IGNORECASE)
POSSESSIVE = re.compile(r"['’]s$")


def normal(word: str) -> str:
    """A word as compared: lower case, without full stops or a possessive ("U.S." and "us" are one word,
    "Cuba's" is "cuba")."""
    return POSSESSIVE.sub("", word.lower()).replace(".", "")


def same_modifier(asked: str, said: str) -> bool:
    """Whether a question's modifier is a sentence's: the same word, or a word and its derivation, which
    share all but the last letter of the shorter ("cuba" and "cuban", "canada" and "canadian")."""
    if asked == said:
        return True
    shorter = min(len(asked), len(said))
    common = next((i for i, (a, b) in enumerate(zip(asked, said, strict=False)) if a != b), shorter)
    return shorter >= 4 and common >= shorter - 1


@cache
def stems(word: str) -> frozenset[str]:
    """A word's BM25 terms (stemmed, its irregular past taken back to its base: "led" is "lead")."""
    return frozenset(tokenize([word])[0])


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
class Constrained:
    """The passages after the constraint was judged: re-marked and re-ordered; `unmet` is the constraint
    none satisfies (None when one does, or the question has no constraint a parse can judge)."""

    passages: tuple[Passage, ...]
    unmet: Unmet | None = None


def asked_of(question: str, relation: Relation, text: str) -> Asked | None:
    """What `question` asks of `relation` (a sentence of `text`), or None when it does not ask about it: its
    verb, then its thing later, are among the question's words."""
    words = list(QUESTION_WORD.finditer(question))
    forms = [normal(w.group()) for w in words]
    thing = {relation.thing_lemma, normal(text[relation.thing[0] : relation.thing[1]])}
    if thing.isdisjoint(forms):
        return None
    verb = stems(relation.lemma) | stems(normal(text[relation.verb[0] : relation.verb[1]]))
    at_verb = next((i for i, form in enumerate(forms) if stems(form) & verb), None)
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
            if all(any(same_modifier(m, o) for o in own) for m in wanted.modifiers):
                found.append(Found(relation, text, True))
            elif own:
                found.append(Found(relation, text, False))
            asked = asked or wanted
    return found, asked


def modifiers_used(question: str, parse: Parse, text: str) -> set[str]:
    """The modifiers a document uses of the thing of a relation the question asks about (normalised)."""
    return {normal(m) for sentence in parse.sentences for relation in sentence.relations
            if asked_of(question, relation, text) is not None for m in relation.modifiers}


def judge(question: str, passages: list[Passage], parse_of: Callable[[Passage], tuple[Parse, str] | None],
          of_time: Callable[[Passage], bool] = lambda passage: True, time: str = "") -> Constrained:
    """Judge the question's constraint on the passages' parses: a passage whose sentence satisfies it marks
    that relation's doer and, when its document is of the time asked (`of_time`; `time` names it: "of
    2018"), goes first; a passage that marks the doer of a relation that does not satisfy it marks nothing.
    When no passage of that time satisfies it and some say the same of another one, `unmet` says so."""
    marked: list[Passage] = []
    meeting: list[Found | None] = []
    first: list[Found] = []  # what the first passage says of the relation asked about
    judged = False  # whether any passage says it of anyone
    asked: Asked | None = None
    parsed_all = [parse_of(passage) for passage in passages]
    # the modifiers the documents use of the thing asked about: only a modifier they use can be told from
    # another ("Cuban" from "U.S."; "American" might be said as "U.S.")
    used = {m for parsed in {id(p[0]): p for p in parsed_all if p}.values() for m in modifiers_used(question, *parsed)}
    for passage, parsed in zip(passages, parsed_all, strict=True):
        found, wanted = found_in(question, passage, *parsed) if parsed else ([], None)
        asked = asked or wanted
        if wanted is not None and not all(any(same_modifier(m, u) for u in used) for m in wanted.modifiers):
            found = [f for f in found if f.satisfies]
        meets = next((f for f in found if f.satisfies), None)
        if meets is not None:  # the doer, with the rest of the name the passage marked there, if any
            doer = Span(*meets.relation.doer)
            if passage.answer is not None and _overlaps(passage.answer, meets.relation.doer):
                doer = Span(min(doer.start, passage.answer.start), max(doer.end, passage.answer.end))
            passage = dataclasses.replace(passage, answer=doer)
        elif passage.answer is not None and any(_overlaps(passage.answer, f.relation.doer) for f in found):
            passage = dataclasses.replace(passage, answer=None)  # the doer of another one ("the U.S. delegation")
        first = first if marked else sorted(found, key=lambda f: not f.satisfies)
        judged = judged or bool(found)
        marked.append(passage)
        meeting.append(meets)
    if asked is None:
        return Constrained(tuple(passages))
    timely = [meets is not None and of_time(passage) for meets, passage in zip(meeting, marked, strict=True)]
    if any(timely):
        order = sorted(range(len(marked)), key=lambda i: not timely[i])
        return Constrained(tuple(marked[i] for i in order))
    if not judged:
        return Constrained(tuple(marked))
    said = first[0].said if first else ""
    return Constrained(tuple(marked), Unmet(asked.phrase, time, said, bool(first) and first[0].satisfies))


def _overlaps(span: Span, place: tuple[int, int]) -> bool:
    return span.start < place[1] and place[0] < span.end


def constrained(question: str, kind: AnswerType, passages: list[Passage], files: SourceFiles,
                parses: Parses) -> Constrained:
    """`judge` for a question that asks who (or which organisation) did something, on the parses kept for
    the passages' files; a question that names a year wants a passage of that year (`of_years`)."""
    # an elliptical follow-up is read after the question before it ("who led the us delegation? and the
    # cuban side?"): its own words are the last question's, and without a wh-word they name no relation
    own = [part for part in question.split("?") if part.strip()]
    if kind not in (AnswerType.PERSON, AnswerType.ORGANIZATION) or not passages or not own \
            or not WH_WORD.search(own[-1]):
        return Constrained(tuple(passages))
    question = own[-1]
    years = years_named(question)

    def parse_of(passage: Passage) -> tuple[Parse, str] | None:
        source = files.get(passage.citation.path)
        parse = parses.get(source.sha256) if source is not None and source.sha256 else None
        return (parse, source.text) if parse is not None and source is not None else None

    time = "of " + " or ".join(str(year) for year in sorted(years)) if years else ""
    return judge(question, passages, parse_of, lambda passage: not years or of_years(passage, years), time)
