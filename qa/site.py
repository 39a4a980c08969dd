"""Text that every page of a site carries, which is no evidence that a page speaks of a thing: the site's part
of its pages' titles ("The Slice Type - The Rust Programming Language", "What's New In Python 3.8 — Python
3.12.1 documentation") and the lines its pages share (a footer, a navigation line)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from index.documents.chunking import TITLE_SEPARATOR
from qa.sources import SourceText

# Where a page's title joins its own name to its site's: "The Slice Type - The Rust Programming Language",
# "Flask | Pallets", "What's New In Python 3.8 — Python 3.12.1 documentation"
TITLE_PARTS = re.compile(r"\s+[-–—|·»:]\s+")
# A part of a title (or a line) that this many documents share is the site's, not the page's: no evidence that
# a page speaks of it. Chosen by hand: two pages may share a subject ("Cuba talks - 2014", "Cuba talks - 2015").
SITE_TITLE_DOCUMENTS = 3


def site_title_parts(titles: Iterable[str]) -> frozenset[str]:
    """The parts of documents' titles (split at " - ", " | ", " — " ...) that at least `SITE_TITLE_DOCUMENTS`
    titles share (case aside): a site's name or a manual's, which every page of it carries."""
    counts: Counter[str] = Counter()
    for title in titles:
        parts = TITLE_PARTS.split(title.split(TITLE_SEPARATOR)[0])
        if len(parts) > 1:
            counts.update({part.casefold() for part in parts})
    return frozenset(part for part, count in counts.items() if count >= SITE_TITLE_DOCUMENTS)


def own_title(title: str, site: frozenset[str]) -> str:
    """`title` (a chunk's: "Document › Section") without the parts of its document's title that are the site's."""
    if not site:
        return title
    document, separator, section = title.partition(TITLE_SEPARATOR)
    parts = TITLE_PARTS.split(document)
    kept = " - ".join(part for part in parts if part.casefold() not in site) if len(parts) > 1 else document
    return kept + separator + section


def shared_lines(sources: Iterable[SourceText]) -> frozenset[str]:
    """The lines that at least `SITE_TITLE_DOCUMENTS` of `sources` each hold: a footer, a menu."""
    counts: Counter[str] = Counter()
    for source in sources:
        counts.update(source.lines)
    return frozenset(line for line, count in counts.items() if count >= SITE_TITLE_DOCUMENTS)


def mentions_besides(source: SourceText, words: str, shared: frozenset[str],
                     site: frozenset[str] = frozenset()) -> bool:
    """Whether `source` says `words` (`SourceText.mentions`) outside the `shared` lines and the site's part of
    its title (`site`, case-folded: a Markdown page's heading carries it in the text too)."""
    if not source.mentions(words):
        return False
    text = source.text
    if shared and not shared.isdisjoint(source.lines):
        text = "\n".join(line for line in text.splitlines() if line.strip() not in shared)
    for part in site:
        text = re.sub(re.escape(part), " ", text, flags=re.IGNORECASE)
    return text is source.text or SourceText(text, []).mentions(words)
