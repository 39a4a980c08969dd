"""What a web page says about itself: its title (without the site's name) and its date, from its
metadata tags only; never a date guessed from its body."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

# The tags that state when a page was published, as the Open Graph protocol, schema.org, Dublin Core
# (DCMI Metadata Terms), Highwire Press/Google Scholar and common CMSs write them. Not "modified" or
# "updated" dates: they date an edit or a build, not the document.
DATE_NAMES = frozenset("""
    article:published_time og:published_time datepublished date dc.date dc.date.issued
    dc.date.created dcterms.date dcterms.issued dcterms.created citation_publication_date
    citation_date publication_date publish-date publish_date pubdate parsely-pub-date sailthru.date
""".split())  # noqa: SIM905
PERMALINK_MARKS = "¶§#🔗"  # the marks a heading's permalink shows (Sphinx, MkDocs, GitHub, rustdoc)


def words(text: str) -> str:
    """The text with its white space runs made single spaces and permalink marks left out."""
    return " ".join(text.split()).strip(" " + PERMALINK_MARKS)


def metadata_date(tree: Any) -> str | None:
    """The page's published date as its metadata tags give it (ISO text, as written), or None."""
    for meta in tree.iter("meta"):
        name = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if name in DATE_NAMES and re.match(r"\d{4}-\d{2}", content):
            return content
    for time in tree.iter("time"):
        if (time.get("itemprop") or "").lower() == "datepublished" or time.get("pubdate") is not None:
            stamp = (time.get("datetime") or "").strip()
            if re.match(r"\d{4}-\d{2}", stamp):
                return stamp
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json" and "datePublished" in (script.text or ""):
            found = re.search(r'"datePublished"\s*:\s*"(\d{4}-\d{2}[^"]*)"', script.text or "")
            if found:
                return found.group(1)
    return None


def own_title(tree: Any) -> str:
    """The page's <title>, else its Open Graph title ("" for none)."""
    found = tree.find(".//title")
    title = words(found.text_content()) if found is not None else ""
    if title:
        return title
    for meta in tree.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() in ("og:title", "twitter:title"):
            return words(meta.get("content") or "")
    return ""


def page_title(tree: Any) -> str:
    """The page's title: its only <h1> when the <title> opens with it ("Harbour bridge to close |
    Riverton News" under <h1>Harbour bridge to close</h1>), else the <title>, else that <h1>. A saved
    mdBook page's menu <h1>, the book's name, is not its title: its <title> ("The Slice Type - The
    Rust Programming Language") does not open with it."""
    own = own_title(tree)
    heads = [words(h.text_content()) for h in tree.iter("h1")]
    head = heads[0] if len(heads) == 1 else ""
    if head and (not own or own.casefold().startswith(head.casefold())):
        return head
    return own or head


TITLE_TAG = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
HEAD_BYTES = 65536  # a page's <title> stands in its head, within its first 64 KB


def quick_title(path: Path) -> str:
    """A page's <title> read from its first bytes, without parsing the page ("" for none)."""
    try:
        with path.open("rb") as handle:
            found = TITLE_TAG.search(handle.read(HEAD_BYTES))
    except OSError:
        return ""
    return words(html.unescape(found.group(1).decode("utf-8", "replace"))) if found else ""
