"""A dated corpus from public text on this machine: the Debian changelogs of installed packages
(/usr/share/doc/*/changelog.Debian.gz), one file per upload, and timeline questions whose gold
(date, answer) pairs are read off the entries' own fields, never off what the assistant says.

An entry, as Debian writes it:

    less (590-2) sid; urgency=medium

      * d/control: set standards version to 4.6.2

     -- Milan Kupcevic <milan@debian.org>  Sun, 12 Mar 2023 12:18:18 -0400

is saved verbatim under one heading line made of its own fields, because its date is otherwise
only at its bottom: "less (590-2) — Sun, 12 Mar 2023 12:18:18 -0400".
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

from evals.timeline import TimelineCase

DOC_ROOT = Path("/usr/share/doc")
# Source packages whose changelogs several people signed, newest uploads first; chosen once by
# their number of entries and uploaders, not by what the assistant answers about them.
PACKAGES = ("less", "fontconfig", "avahi", "libpng1.6", "dconf", "json-c", "libtirpc", "commons-io", "cscope",
            "curl", "giflib", "libxaw", "libice", "fribidi")
ENTRIES_PER_PACKAGE = 12  # the newest uploads of each package
HEADER = re.compile(r"^(?P<package>[a-z0-9][a-z0-9+.-]+) \((?P<version>[^()\s]+)\) (?P<distribution>[^;]+);")
TRAILER = re.compile(r"^ -- (?P<name>.+?) <(?P<email>[^>]*)>\s+(?P<stamp>\S.*?)\s*$")
STAMP_DAY = re.compile(r"\b\d{1,2} [A-Z][a-z]{2} \d{4}\b")  # "12 Mar 2023" in "Sun, 12 Mar 2023 12:18:18 -0400"


@dataclass(frozen=True)
class ChangelogEntry:
    """One upload of a package: its fields, its date (ISO, as written in its own time zone) and
    its text, verbatim from the header line to the trailer line."""

    package: str
    version: str
    uploader: str
    stamp: str  # the trailer's date as written: "Sun, 12 Mar 2023 12:18:18 -0400"
    iso: str
    text: str

    @property
    def day_written(self) -> str:
        """The day the trailer names, as written: "12 Mar 2023"."""
        found = STAMP_DAY.search(self.stamp)
        return found.group() if found else self.iso

    @property
    def heading(self) -> str:
        """The line the saved file opens with, made of the entry's own fields."""
        return f"{self.package} ({self.version}) — {self.stamp}"

    @property
    def file_name(self) -> str:
        """The entry's file name: package and version, no date."""
        return f"{self.package}_{re.sub(r'[^A-Za-z0-9.+~-]', '_', self.version)}.txt"


def parse_changelog(text: str) -> tuple[list[ChangelogEntry], int]:
    """The entries of a Debian changelog, newest first, and how many header lines began an entry
    that could not be read (no trailer, or a date that does not parse)."""
    entries: list[ChangelogEntry] = []
    unreadable = 0
    lines = text.splitlines()
    start: int | None = None
    for number, line in enumerate(lines):
        if HEADER.match(line):
            unreadable += start is not None  # a header before the last one's trailer
            start = number
        elif start is not None and (trailer := TRAILER.match(line)):
            entry = _entry(lines[start : number + 1], trailer)
            if entry is None:
                unreadable += 1
            else:
                entries.append(entry)
            start = None
    return entries, unreadable + (start is not None)


def _entry(lines: list[str], trailer: re.Match[str]) -> ChangelogEntry | None:
    header = HEADER.match(lines[0])
    assert header is not None
    try:
        when = parsedate_to_datetime(trailer["stamp"])
    except (TypeError, ValueError):
        return None
    return ChangelogEntry(header["package"], header["version"], trailer["name"].strip(), trailer["stamp"],
                          when.date().isoformat(), "\n".join(lines) + "\n")


def installed_changelogs(root: Path = DOC_ROOT) -> tuple[dict[str, Path], list[Path]]:
    """Each installed source package's changelog, by source name (the first of its binary
    packages' copies, in name order), and the changelogs that could not be read."""
    found: dict[str, Path] = {}
    unreadable: list[Path] = []
    for path in sorted(root.glob("*/changelog.Debian.gz")):
        try:
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as stream:
                header = HEADER.match(stream.readline())
        except (OSError, EOFError):
            unreadable.append(path)
            continue
        if header:
            found.setdefault(header["package"], path)
    return found, unreadable


def read_entries(path: Path, limit: int = ENTRIES_PER_PACKAGE) -> tuple[list[ChangelogEntry], int]:
    """The newest `limit` readable entries of a changelog, and how many unreadable ones it has."""
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as stream:
        entries, unreadable = parse_changelog(stream.read())
    return entries[:limit], unreadable


def write_corpus(entries: Iterable[ChangelogEntry], folder: Path) -> dict[Path, ChangelogEntry]:
    """Each entry saved as its own file under folder/<package>/, heading line first."""
    written: dict[Path, ChangelogEntry] = {}
    for entry in entries:
        path = folder / entry.package / entry.file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{entry.heading}\n\n{entry.text}", encoding="utf-8")
        written[path] = entry
    return written


def _pairs(entries: list[ChangelogEntry], answer_of: str) -> tuple[tuple[str, str], ...]:
    """Each entry's (date, answer), oldest first, once each."""
    pairs = {(e.iso, getattr(e, answer_of)) for e in entries}
    return tuple(sorted(pairs))


# (kind of question, question, the entry field that answers it, whether it asks for the present)
QUESTION_KINDS = (
    ("uploader", "who uploaded {package}?", "uploader", False),
    ("upload date", "when was {package} uploaded?", "day_written", False),
    ("latest uploader", "who made the latest upload of {package}?", "uploader", True),
)


@dataclass(frozen=True)
class ChangelogCase:
    """A timeline case, with the kind of question, the package and the entry field that answers it."""

    kind: str
    package: str
    field: str
    case: TimelineCase


def timeline_cases(entries: list[ChangelogEntry]) -> list[ChangelogCase]:
    """A case for each package and question kind whose answer changes over the package's entries:
    at least two different answers at two different dates."""
    by_package: dict[str, list[ChangelogEntry]] = {}
    for entry in entries:
        by_package.setdefault(entry.package, []).append(entry)
    cases = []
    for package, own in by_package.items():
        for kind, question, field, present in QUESTION_KINDS:
            pairs = _pairs(own, field)
            if len({a for _, a in pairs}) < 2 or len({d for d, _ in pairs}) < 2:
                continue
            latest = max(d for d, _ in pairs) if present else None
            case = TimelineCase(f"{package}-{kind.replace(' ', '-')}", question.format(package=package), pairs, latest)
            cases.append(ChangelogCase(kind, package, field, case))
    return cases
