"""HTML: the page's main text by trafilatura (menus, sidebars, cookie bars, scripts and footers left out)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index.formats import Extracted, FormatProblem, TextBuilder

# trafilatura's XML holds main text as headings, paragraph-like elements (p, quote, code), lists
# and tables; anything nested in them is read as their words.
MAX_HTML_FACTOR = 20  # an HTML file may be this many times its text limit on disk (markup, scripts)


def _words(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _add_element(element: Any, out: TextBuilder) -> None:
    tag = element.tag
    if tag == "head":
        rend = str(element.get("rend") or "h2")
        level = int(rend[1]) if len(rend) == 2 and rend[1].isdigit() else 2
        out.add(_words(element), heading_level=level)
    elif tag == "list":  # each item marked as the page shows it, so a passage can tell a list ("• allow")
        numbered = element.get("rend") == "ol"
        for number, item in enumerate(element.iter("item"), start=1):
            out.add(f"{number}. {_words(item)}" if numbered else f"• {_words(item)}")
    elif tag == "table":
        for row in element.iter("row"):
            out.add(" | ".join(_words(cell) for cell in row.iter("cell")))
    elif tag not in ("graphic", "lb"):
        out.add(_words(element))


def extract_html(path: Path, max_chars: int) -> Extracted:
    """The main text of a saved web page: headings and paragraphs in order; the title is the page's."""
    import trafilatura

    size = path.stat().st_size
    if size > max_chars * MAX_HTML_FACTOR:
        raise FormatProblem(
            f"too large ({size / 1e6:.1f} MB of HTML)", "split it, or raise max_file_mb / QA_MAX_FILE_MB", "too large"
        )
    data = path.read_bytes()
    if not data.strip():
        raise FormatProblem("empty file", "add text to it or remove it")
    try:
        found = trafilatura.bare_extraction(
            data, output_format="xml", with_metadata=True, include_comments=False, include_tables=True,
            include_images=False, include_links=False, deduplicate=False,
        )
    except Exception as error:  # lxml and trafilatura raise several kinds for a broken page
        raise FormatProblem(f"cannot be read as HTML ({type(error).__name__})", "check the file", "not HTML") from None
    body = getattr(found, "body", None)
    out = TextBuilder(max_chars)
    if body is not None:
        for element in body:
            _add_element(element, out)
    if not out.parts:
        raise FormatProblem("no main text found in the page", "save the article's own page, not an index page",
                            "no main text")
    title = page_title(data, " ".join(str(getattr(found, "title", "") or "").split())) or path.name
    date = str(getattr(found, "date", "") or "") or None  # the page's published date (its meta tags)
    return Extracted(out.text(), title=title, headings=tuple(out.headings), structured=True, date=date)


def page_title(data: bytes, found: str) -> str:
    """The page's title: trafilatura's (`found`: a headline, the only <h1>, a title-like element) when the
    page's own <title> opens with it ("Harbour bridge to close | Riverton News") or there is none; else the
    <title>. A saved mdBook page's hidden help popup, <h2 class="mdbook-help-title">Keyboard shortcuts</h2>,
    titled every page "Keyboard shortcuts"; its menu's <h1>, the book's name, titled every page of the Rust
    Book "The Rust Programming Language", whose <title> is "The Slice Type - The Rust Programming Language"."""
    from trafilatura.utils import load_html

    tree = load_html(data)
    own = " ".join((tree.findtext(".//title") or "").split()) if tree is not None else ""
    return found if not own or own.casefold().startswith(found.casefold()) else own
