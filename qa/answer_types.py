"""What kind of answer a question wants, and where such an answer sits inside a sentence.

General English patterns only: the wh-word of the question, and date, number and proper-name
shapes in the text. Nothing here knows about any particular corpus.
"""

from __future__ import annotations

import re
from functools import lru_cache

from config.tuning import TUNED
from index.documents.chunking import URL
from index.documents.lines import Span
from index.documents.sentences import split_sentences
from qa.english.dates import CALENDAR, DATE, FREQUENCY, HOW_LONG, HOW_OFTEN, SINCE
from qa.english.kinds import TYPE_PATTERNS, AnswerType
from qa.english.names import CONNECTORS, OFFICE_WORDS, OPENING_WORDS, PLACE_LEAD
from qa.english.numbers import NUMBER
from qa.english.words import PLAIN_WORDS
from qa.lexicon import is_common_word

__all__ = ["AnswerType", "answer_span", "answer_type", "candidate_spans", "without_type_words"]


@lru_cache(maxsize=256)
def answer_type(question: str) -> AnswerType:
    """The kind of answer `question` asks for (the earliest wh-phrase wins). Remembered: every sentence
    weighed for a question asks it again."""
    lowered = question.lower()
    found = [(m.start(), -len(m.group()), kind) for kind, pattern in TYPE_PATTERNS if (m := pattern.search(lowered))]
    return min(found, key=lambda triple: triple[:2])[2] if found else AnswerType.OTHER


def without_type_words(question: str) -> str:
    """`question` with every phrase that only names the kind of answer ("how many", "what year",
    "who") blanked out: what is left is what the question is about."""
    lowered = question.lower()
    for _, pattern in TYPE_PATTERNS:
        lowered = pattern.sub(lambda m: " " * len(m.group()), lowered)
    if len(lowered) != len(question):  # a letter whose lower case is longer ("İ"): the words as lowered
        return lowered
    # the question's own spelling ("PostgreSQL"), as a person reads it back in "does not mention ..."
    return "".join(" " if low == " " and kept != " " else kept for low, kept in zip(lowered, question, strict=True))


_CAPITALISED = re.compile(r"[A-ZÀ-Ý][\w’'\-.À-ÿ]*")
_NAME_WORD = re.compile(r"[\w’'\-.À-ÿ]+")  # a word of a name as written ("O'Neill", "Jr.", "Fernández")
# A place on a computer or the web, with or without "in"/"at" before it: "/usr/local/share/ca-certificates/",
# "~/.config/qa", "https://example.org/docs"
_PATH_OR_URL = re.compile(r"\bhttps?://[^\s<>\"'()]*[^\s<>\"'().,;:!?]|(?<![\w/.~-])(?:~|\.{1,2})?(?:/[\w.+@-]+)+/?")
def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"\w+", text)}


def _name_runs(text: str) -> list[Span]:
    """Runs of capitalised words (with name connectors such as "de"), as spans of `text`."""
    runs: list[Span] = []
    tokens = list(_NAME_WORD.finditer(text))
    i = 0
    while i < len(tokens):
        if not _CAPITALISED.fullmatch(tokens[i].group()):
            i += 1
            continue
        j = i
        while j + 1 < len(tokens):
            nxt = tokens[j + 1]
            gap = text[tokens[j].end() : nxt.start()]
            if gap.strip():
                break
            if _CAPITALISED.fullmatch(nxt.group()):
                j += 1
            elif (nxt.group().lower() in CONNECTORS and j + 2 < len(tokens)
                  and _CAPITALISED.fullmatch(tokens[j + 2].group())):
                j += 2
            else:
                break
        end = tokens[j].end()
        while end > tokens[i].start() and text[end - 1] in ".’'-":
            end -= 1
        runs.append(Span(tokens[i].start(), end))
        i = j + 1
    return runs


def _strip_offices(text: str, span: Span) -> Span | None:
    """The name left after titles and offices at the start of a run; None if nothing is left, or
    if what is left comes straight after an office's "of": that is what the office is of ("Secretary
    of Homeland Security", "Department of Energy"), not a person."""
    words = list(_NAME_WORD.finditer(text, span.start, span.end))
    last_office = -1
    for index, word in enumerate(words):
        lowered = word.group().lower()
        # "of" makes a title ("Secretary of State", "Representatives of Cuba"); a name's particle
        # belongs to an office only right after one ("Carlos Fernández de Cossío" keeps its "de")
        if lowered.rstrip(".") in OFFICE_WORDS or lowered == "of" or (
            lowered in CONNECTORS and last_office >= 0 and index == last_office + 1
        ):
            last_office = index
    rest = words[last_office + 1 :]
    if not rest or (last_office >= 0 and words[last_office].group().lower() == "of"):
        return None
    return Span(rest[0].start(), rest[-1].end())


def _without_opening_words(text: str, run: Span) -> Span:
    """`run` without the function words that open it ("For Flask" -> "Flask")."""
    start = run.start
    for word in _NAME_WORD.finditer(text, run.start, run.end):
        if word.group().lower() not in OPENING_WORDS:
            break
        start = word.end()
    rest = text[start : run.end]
    return Span(start + len(rest) - len(rest.lstrip()), run.end)


# A command-line option as manuals write it: "-p", "-maxdepth", "--crate-name" (not a hyphenated word's
# hyphen, a dash between words, or a negative number)
_OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*(?<!-)")


def candidate_spans(kind: AnswerType, text: str, people: list[Span] | None = None) -> list[Span]:
    """Every span of `text` with the shape of a `kind` answer, longest first at each place; `people`: the
    people the English model named in `text` at ingest (`index.parses`), which answer "who" when given.
    Nothing inside a web address answers but a place: "23.2.0" of ".../compare/23.1.0...23.2.0" is part of
    where a page is, not what the text says."""
    found = _shaped_spans(kind, text, people)
    if kind is AnswerType.PLACE or not found or ("://" not in text and "www." not in text):
        return found
    addresses = [m.span() for m in URL.finditer(text)]
    return [s for s in found if not any(start < s.end and s.start < end for start, end in addresses)]


def _shaped_spans(kind: AnswerType, text: str, people: list[Span] | None = None) -> list[Span]:
    """`candidate_spans` before web addresses are left out."""
    if kind is AnswerType.DATE:
        return [Span(m.start(), m.end()) for m in DATE.finditer(text)]
    if kind is AnswerType.NUMBER:
        # "how many" is not answered by the year or day in a date ("July 9, 2014")
        dates = [m.span() for m in CALENDAR.finditer(text)]
        return [
            Span(m.start(), m.end())
            for m in NUMBER.finditer(text)
            if not any(start <= m.start() and m.end() <= end for start, end in dates)
        ]
    if kind is AnswerType.PERSON:
        spans = []
        for run in _name_runs(text):
            name = _strip_offices(text, _without_opening_words(text, run))
            if name is None:
                continue
            words = [w.strip(".,") for w in text[name.start : name.end].split()]
            if people is not None:  # the model tells a person from a thing: a run it names a person in
                named = [p for p in people if p.start < name.end and name.start < p.end]
                if named:
                    spans.append(Span(min(name.start, *(p.start for p in named)),
                                      max(name.end, *(p.end for p in named))))
                continue
            # a run of common words names a thing ("Migration Accord", "World Cup"), not a person
            if len(words) >= 2 and not all(is_common_word(w) for w in words):
                spans.append(name)
        if people is not None:  # and the people the model names that no run holds
            # (not a run of common words the model took for a name: "Principal" of "Principal Deputy ...")
            spans += [p for p in people if not any(s.start < p.end and p.start < s.end for s in spans)
                      and not all(is_common_word(w.strip(".,")) for w in text[p.start : p.end].split())]
            spans.sort(key=lambda s: (s.start, -s.end))
        return spans
    if kind is AnswerType.ORGANIZATION:
        spans = []
        for run in _name_runs(text):
            words = text[run.start : run.end].split()
            if len(words) > 1 and words[0].lower() == "the":
                run = Span(run.start + len(words[0]) + 1, run.end)
                words = words[1:]
            opening = run.start == 0 and len(words) == 1 and not words[0].isupper()  # just a capitalised first word
            if not opening and not DATE.match(text, run.start) and words[0].lower() != "the":
                spans.append(run)
        return spans
    if kind is AnswerType.OPTION:
        return [Span(m.start(), m.end()) for m in _OPTION.finditer(text)]
    if kind is AnswerType.PLACE:
        named = [run for run in _name_runs(text)
                 if PLACE_LEAD.search(text[: run.start]) and not DATE.match(text, run.start)]
        return named + [Span(m.start(), m.end()) for m in _PATH_OR_URL.finditer(text)
                        if not any(run.start < m.end() and m.start() < run.end for run in named)]
    return []


def answer_span(question: str, text: str, focus: list[Span] | None = None,
                people: list[Span] | None = None) -> Span | None:
    """The span of `text` that answers `question`, or None when no span of the right shape is there.

    Candidates whose words all appear in the question are passed over (they restate it); among the
    rest, the one with the most of the question's words close around it (`focus`: each word counts
    1 / (1 + distance / 20 characters)) wins, the longer one on a tie.
    """
    kind = answer_type(question)
    asked = _words(question)
    found = candidate_spans(kind, text, people)
    lowered = question.lower()
    how_long = HOW_LONG.search(lowered)
    if kind is AnswerType.NUMBER and (how_long or HOW_OFTEN.search(lowered)):
        # "how long" is answered by a duration, or by the time it runs from ("since 2018"); "how
        # often" by a frequency ("twice a year", "biannual")
        extra = SINCE if how_long else FREQUENCY
        found = sorted([*found, *(Span(m.start(), m.end()) for m in extra.finditer(text))],
                       key=lambda s: (s.start, -s.end))
    spans = [s for s in found if not _words(text[s.start : s.end]) <= asked]
    if not spans:
        return None
    if not focus:
        return spans[0]

    def closeness(span: Span) -> float:
        near = sum(1.0 / (1.0 + max(0, f.start - span.end, span.start - f.end) / 20.0) for f in focus)
        if kind is not AnswerType.PERSON:  # two names in one sentence: which one the question's words lead to
            return near
        # a run of one word is as likely anywhere in a clause: only a phrase of the question counts there
        clause = clause_words(text, span, spans, focus, question)
        said = max(phrase_run(text, span, focus, question), clause if clause >= MIN_CLAUSE_RUN else 0)
        return near + TUNED.answer_phrase_weight * said

    return max(spans, key=lambda s: (closeness(s), s.end - s.start))


WORD_RUN = re.compile(r"\w+(?:\.\w+)+\.?|\w+")  # a word, "U.S." and "D.C." whole
PHRASE_LOOK = 6  # words looked at on each side of a candidate
MIN_CLAUSE_RUN = 2  # the shortest run of the question's words that marks a name from further along its clause


def clause_words(text: str, span: Span, others: list[Span], focus: list[Span], question: str = "") -> int:
    """The longest run of the question's words (only short words between) anywhere in the rest of
    the candidate's clause: from the candidate to a semicolon, the sentence's end or the next
    candidate, whichever comes first. "Josefina Vidal of the U.S. Division of the Cuban Ministry led
    the Cuban delegation" runs "led the Cuban delegation" (3) past the words about who she is, which
    a run next to the name misses; for "who led the U.S. delegation?" its longest run is 1."""
    semicolon = text.find(";", span.end)
    sentence_end = next((s.end for s in split_sentences(text) if s.end > span.start), len(text))
    end = min([semicolon if semicolon >= 0 else len(text), sentence_end,
               *(o.start for o in others if o.start >= span.end)])
    words = list(WORD_RUN.finditer(text, span.end, end))
    asked, said = {(f.start, f.end) for f in focus}, _said(question)
    return max((_run(words[i:], asked, said) for i in range(len(words))), default=0)


def _said(question: str) -> set[str]:
    """The question's own words that name something (lower-cased; not "the", "who", ...)."""
    return {w.lower() for w in WORD_RUN.findall(question)} - PLAIN_WORDS


def _run(words: list[re.Match[str]], asked: set[tuple[int, int]], said: set[str]) -> int:
    """How many of `words`, from the first on, are the question's (`asked` spans or `said` words),
    short words allowed between, up to the first other word of four letters or more."""
    count = 0
    for word in words:
        if (word.start(), word.end()) in asked or word.group().lower() in said:
            count += 1
        elif len(word.group()) > 3:
            break
    return count


def phrase_run(text: str, span: Span, focus: list[Span], question: str = "") -> int:
    """How many of the question's words run on from the candidate, on its better side, with only
    short words between ("Alex Lee | led the U.S. delegation": 4 for "who led the U.S.
    delegation?"; "Josefina Vidal | led the Cuban delegation": 1, "Cuban" ends it). The words a
    question restates next to its answer say which of two names of one sentence it asks for. A word
    counts when it is one the question asks about (`focus`) or one of the question's own words."""
    asked, said = {(f.start, f.end) for f in focus}, _said(question)
    after = [m for m in WORD_RUN.finditer(text, span.end)][:PHRASE_LOOK]
    before = [m for m in WORD_RUN.finditer(text, 0, span.start)][-PHRASE_LOOK:][::-1]
    return max(_run(after, asked, said), _run(before, asked, said))
