"""The kinds of answer a question asks for, and the English phrases that ask for each: a wh-word, and
after "what"/"which" the noun that names the kind ("what year", "which city"). Written from English
grammar (the interrogatives of the Cambridge Grammar of the English Language, ch. 10) and general nouns
of kind; the earliest phrase of a question wins (`qa.answer_types.answer_type`)."""

from __future__ import annotations

import re
from enum import Enum


class AnswerType(Enum):
    """What kind of thing a question asks for."""

    DATE = "date"
    NUMBER = "number"
    PERSON = "person"
    PLACE = "place"
    ORGANIZATION = "organization"
    OPTION = "option"  # a command-line option: "-p", "--crate-name"
    OTHER = "other"


TYPE_PATTERNS: list[tuple[AnswerType, re.Pattern[str]]] = [
    (AnswerType.NUMBER, re.compile(
        r"\bhow (?:many|much|often|large|big|long|far|old|tall|high|deep|wide|fast)\b|"
        r"\b(?:what|which) (?:number|percentage|percent|proportion|share|amount|size|age|population)\b|"
        # a version: "which version of Perl ...", "what is the latest version of pytz?", "which Python version";
        # only the wh-word names the kind ("latest", "Python" and "version" say what it is about)
        r"\b(?:what|which)\b(?=(?:\s+(?:is|was|are|were))?(?:\s+the)?(?:\s+[\w-]+)?\s+(?:versions?|releases?)\b)|"
        # a limit or a default of a measure: "what's the default busy timeout?", "the maximum recursion depth"
        # (only the wh-word names the kind, as for a version)
        r"\b(?:what|which)\b(?=(?:'s|’s|\s+(?:is|was|are|were))?(?:\s+the)?\s+(?:default|maximum|minimum|max|min|"
        r"largest|smallest|highest|lowest)(?:\s+[\w-]+)?\s+(?:value|limit|size|length|depth|number|count|port|"
        r"timeout|amount)\b)")),
    (AnswerType.DATE, re.compile(
        # "when" asks for a time where it opens the question ("and when ...", "since when ..."), not
        # where it opens a clause ("what occurs when ...", "when X bought Y, what ...")
        r"\bhow long ago\b|^(?:\W*(?:and|so|but|then|since|until|till)\b)?\W*when\b(?![^?]*,\s*(?:what|which|who|whom|"
        r"whose|where|how|why)\b)|\bwhen\W*$|\b(?:what|which) (?:year|date|day|month|time|century|decade|era|period)\b|"
        r"\bsince when\b|\bin what year\b")),
    (AnswerType.PERSON, re.compile(
        r"\bwho(?:m|se)?\b|\b(?:what|which) (?:person|official|minister|diplomat|secretary|leader|president|"
        r"king|queen|emperor|author|writer|scientist|player|coach|general)\b")),
    (AnswerType.PLACE, re.compile(
        r"\bwhere\b|\b(?:in )?(?:what|which) (?:city|country|place|state|town|region|province|continent|island|"
        r"river|county|nation|capital|location)\b")),
    (AnswerType.ORGANIZATION, re.compile(
        r"\b(?:what|which) (?:organi[sz]ation|agency|ministry|department|company|firm|team|club|group|party|"
        r"institution|university|school|newspaper|network|body|government|court|band|league)\b")),
    (AnswerType.OPTION, re.compile(  # "which ssh option ...", "what command-line flag ...": only the wh-word
        # names the kind ("ssh" says what it is about)
        r"\b(?:what|which)\b(?=(?:\s+[\w-]+)?\s+(?:option|flag|switch)\b)")),
]
