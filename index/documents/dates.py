"""A document's own date: its dateline, a date line or a "released on DATE" statement near its top,
a date in its title or file name, or its metadata. Found by general patterns, never guessed: a
document with none is undated; a file's modification time, a build stamp ("Last updated on ...")
and a version number ("3.8.12") are never its date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from index.documents.lines import Span

# A month's name as English writes it, whole or cut short ("Sept."): the one pattern of month names
MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
# A full date in a line (a dateline: "April 20, 2022", "20/04/22", "2022-04-20")
DATE = re.compile(
    rf"\b(?:{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{MONTH},?\s+\d{{4}}|"
    rf"\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}})\b"
)
MONTHS = {name: number for number, names in enumerate(
    ("jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july", "aug august",
     "sep sept september", "oct october", "nov november", "dec december"), start=1) for name in names.split()}
DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
YEAR = r"(?P<year>\d{4})"
# Full dates, as a dateline writes them: "April 20, 2022", "1 December 2015", "2022-04-20".
FULL_DATE = re.compile(
    rf"\b(?:(?P<month>{MONTH})\s+{DAY},?\s+{YEAR}"
    rf"|(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month2>{MONTH}),?\s+(?P<year2>\d{{4}})"
    r"|(?<!\d\.)(?P<iso>\d{4}-\d{2}-\d{2})(?!\.\d)"
    r"|(?<!\d\.)(?P<numeric>\d{1,2}/\d{1,2}/\d{4})(?!\.\d))\b"
)
MONTH_YEAR = re.compile(rf"\b(?P<month>{MONTH})\s+(?:of\s+)?(?P<year>\d{{4}})\b")
# In a file name: 2022-04-20, 2022_04_20, 20220420, 2014-07, or a lone year, set off by non-digits.
NAME_DATE = re.compile(
    r"(?<![0-9A-Za-z])(?<!\d\.)(?P<year>(?:19|20)\d{2})"
    r"(?:(?P<sep>[-_.]?)(?P<month>0[1-9]|1[0-2])(?:(?P=sep)(?P<day>0[1-9]|[12]\d|3[01]))?)?(?![0-9])(?!\.\d)"
)  # a version number ("gcc-2.2013.05", "3.2012") is not a date
TOP_LINES = 15  # a date line counts when it is among the first lines of the text ...
TOP_CHARS = 1500  # ... and within this many characters of its start
DATELINE_WORDS = 10  # a line this short that holds a full date is a dateline
DATELINE_END = re.compile(r"\s*[:—–-](?!\s*\d)")  # what ends a dateline that runs into its paragraph
# The time of day and zone a date can carry, which are not words of the line: "Sun, 12 Mar 2023
# 12:18:18 -0400" (e-mail, HTTP, Debian changelogs), "April 20, 2022, 10:30 a.m. EDT".
TIME_OF_DAY = re.compile(r",?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\b\.?)?"
                         r"(?:\s*(?:[+-]\d{2}:?\d{2}\b|[A-Z]{2,5}\b)(?:\s*\([A-Z]{2,5}\))?)?")
OPENING_CHARS = 80  # ... and a longer line's date counts when it starts this close to the line's start
# A statement of when the document's subject came out, near the top: "Python 3.8 was released on
# October 14, 2019", "Published: 2 May 2021" (the date within a few words of the verb).
RELEASED = re.compile(r"(?i)\b(?:released|published|issued|announced|dated|release date|publication date)\b"
                      r"[:,]?(?:\s+(?!\d)\S+){0,3}?\s+(?:on\s+|in\s+)?$")
# A stamp of when a page or file was built, which dates the build, not the document: "Last updated on
# Oct 07, 2026", "Generated on ... by Doxygen", "Page generated ...", "Built with Sphinx on ...".
BUILD_STAMP = re.compile(r"(?i)\b(?:last\s+(?:updated|modified|changed|built|generated|edited)|generated\s+(?:on|by|at)"
                         r"|built\s+(?:on|at|with)|page\s+generated|this\s+page\s+was\s+(?:last\s+)?(?:edited|modified))\b")


@dataclass(frozen=True)
class DocumentDate:
    """A document's date at the precision it was written ("2022-04-20", "2014-07", "2010") and
    where it was found: "text" (with its span, so it can be cited), "title", "file name" or
    "metadata"."""

    iso: str
    found_in: str
    span: Span | None = None

    @property
    def year(self) -> int:
        return int(self.iso[:4])


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    """The ISO form of a date that exists ("2015-02-30" does not), to the precision given."""
    if not 1000 <= year <= date.today().year + 1:
        return None
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        return None
    return f"{year:04d}" + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if month and day else "")


def _month(name: str) -> int:
    return MONTHS[name.lower().rstrip(".")]


def parse_full_date(match: re.Match[str]) -> str | None:
    """The ISO date a FULL_DATE match names; None for an impossible or ambiguous one
    ("03/04/2015" could be March or April)."""
    if match["month"]:
        return _iso(int(match["year"]), _month(match["month"]), int(match["day"]))
    if match["month2"]:
        return _iso(int(match["year2"]), _month(match["month2"]), int(match["day2"]))
    if match["iso"]:
        year, month, day = (int(part) for part in match["iso"].split("-"))
        return _iso(year, month, day)
    first, second, year = (int(part) for part in match["numeric"].split("/"))
    if first <= 12 and second <= 12 and first != second:
        return None
    month, day = (first, second) if first <= 12 else (second, first)
    return _iso(year, month, day)


def date_in_text(text: str) -> DocumentDate | None:
    """The date the top of a text is written on: a short line holding a full date (a dateline,
    "Havana, November 15, 2022"), else a full date in the opening lines ("NEW YORK, Weds. April
    20, 2022: ..."), else a full date that the opening lines say something was released or published
    on, else a short line holding a month and year ("Version 2.0, January 2004", under a licence's
    name). A line that stamps a build ("Last updated on ...") is passed over."""
    head, offset, opening, released, months = text[:TOP_CHARS], 0, [], [], []
    for line in head.splitlines(keepends=True)[:TOP_LINES]:
        if BUILD_STAMP.search(line):
            offset += len(line)
            continue
        month = MONTH_YEAR.search(line)
        if month and len(re.findall(r"\w+", line)) <= DATELINE_WORDS and (
                iso := _iso(int(month["year"]), _month(month["month"]))):
            months.append(DocumentDate(iso, "text", Span(offset + month.start(), offset + month.end())))
        for match in FULL_DATE.finditer(line):
            iso = parse_full_date(match)
            if iso is None:
                continue
            span = Span(offset + match.start(), offset + match.end())
            time = TIME_OF_DAY.match(line, match.end())
            date_end = time.end() if time else match.end()
            if len(re.findall(r"\w+", f"{line[: match.end()]} {line[date_end:]}")) <= DATELINE_WORDS:
                return DocumentDate(iso, "text", span)
            # a dateline run into the first paragraph ("NEW YORK, April 20, 2022: The ..."), not an
            # event's date in it ("The game was played on February 7, 2016, at ...")
            if match.start() <= OPENING_CHARS and DATELINE_END.match(line, date_end):
                opening.append(DocumentDate(iso, "text", span))
            elif RELEASED.search(line, 0, match.start()):
                released.append(DocumentDate(iso, "text", span))
        offset += len(line)
    return next(iter(opening + released + months), None)


def date_in_title(title: str) -> DocumentDate | None:
    """A date the title names: a full date, or a month and year ("Minutes, March 2019")."""
    for match in FULL_DATE.finditer(title):
        iso = parse_full_date(match)
        if iso:
            return DocumentDate(iso, "title")
    match = MONTH_YEAR.search(title)
    iso = match and _iso(int(match["year"]), _month(match["month"]))
    return DocumentDate(iso, "title") if iso else None


def date_in_name(name: str) -> DocumentDate | None:
    """A date a file name is stamped with ("2022-04-20-minutes.txt", "report_2014-07.pdf",
    "2010-editorial.txt"): the first, at the precision written."""
    for match in NAME_DATE.finditer(name):
        month = int(match["month"]) if match["month"] else None
        day = int(match["day"]) if match["day"] else None
        if match["month"] and not match["sep"] and not day:
            continue  # "201407" is too easily a number
        iso = _iso(int(match["year"]), month, day)
        if iso:
            return DocumentDate(iso, "file name")
    return None


def date_in_metadata(value: str | None) -> DocumentDate | None:
    """A date from a format's metadata: an ISO timestamp ("2022-04-20T10:00:00Z") or a PDF date
    ("D:20220420100000Z")."""
    if not value:
        return None
    match = re.match(r"(?:D:)?(\d{4})-?(\d{2})?-?(\d{2})?", value.strip())
    if not match:
        return None
    year, month, day = (int(part) if part else None for part in match.groups())
    iso = _iso(year, month, day) if year else None
    return DocumentDate(iso, "metadata") if iso else None


def find_document_date(text: str, name: str, title: str = "", metadata: str | None = None) -> DocumentDate | None:
    """The document's date, by the first of these that holds one: its opening lines, its title,
    its file name, its metadata. None when it has none: undated."""
    return date_in_text(text) or date_in_title(title) or date_in_name(name) or date_in_metadata(metadata)


def dated(text: str, name: str, title: str = "", metadata: str | None = None) -> str:
    """`find_document_date` on a document's opening (`TOP_CHARS`) as the index records it: ISO, or ""
    for undated."""
    found = find_document_date(text[:TOP_CHARS], name, title, metadata)
    return found.iso if found else ""
