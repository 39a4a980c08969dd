"""HTML: the page's main text by trafilatura (menus, sidebars, cookie bars, scripts and footers left out),
measured against the page's whole content (`html_walk`) and replaced by a fuller reading when it keeps
too little of a page that is mostly prose. The page is parsed once; its title and date come from its
own tags (`html_meta`), never from a date guessed in its body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index.documents.chunking import is_prose
from index.documents.formats import (
    LABEL_WORDS,
    Extracted,
    FormatProblem,
    TextBuilder,
    is_option_label,
    kept_share,
    manual_summary,
    not_answers,
    word_counts,
)
from index.documents.formats.html_meta import metadata_date, page_title, quick_title, words
from index.documents.formats.html_walk import pruned_content, strip_marks, write_content
from index.documents.formats.titles import folder_affixes, without_affixes

MAX_HTML_FACTOR = 20  # an HTML file may be this many times its text limit on disk (markup, scripts)
MIN_KEPT = 0.9  # a page's main text keeps at least this share of its content's words, or a fuller reading is tried
PROSE_SHARE = 0.25  # ... when at least this share of its content's words stand in lines of prose (not a
# page of tables or code alone, where the main text may rightly be less; gnuplot's reference pages: a
# paragraph of prose above a syntax line and examples, which trafilatura dropped, is 0.5 of such a page)
MIN_CONTENT_WORDS = 20  # a page's content of fewer words (an index of links) is not measured


def _words(element: Any) -> str:
    return words("".join(element.itertext()))


def _only_code(element: Any) -> bool:
    coded = sum(len(_words(c).split()) for c in element.iter("code") if c is not element)
    return coded > 0 and coded == len(_words(element).split())


def _add_element(element: Any, out: TextBuilder) -> None:
    """One element of trafilatura's XML: headings, paragraphs, code, lists (a definition list's term
    with its definition), tables."""
    tag = element.tag
    if tag == "head":
        rend = str(element.get("rend") or "h2")
        level = int(rend[1]) if len(rend) == 2 and rend[1].isdigit() else 2
        out.add(strip_marks(_words(element)), heading_level=level)
    elif tag == "list" and element.get("rend") == "dl":
        for item in element.iter("item"):
            if str(item.get("rend") or "").startswith("dt"):
                out.add_term(_words(item))
            else:
                out.add(_words(item))
    elif tag == "list":  # each item marked as the page shows it, so a passage can tell a list ("• allow")
        numbered = element.get("rend") == "ol"
        for number, item in enumerate(element.iter("item"), start=1):
            out.add(f"{number}. {_words(item)}" if numbered else f"• {_words(item)}")
    elif tag == "table":
        for row in element.iter("row"):
            cells = [text for cell in row.iter("cell") if (text := _words(cell))]
            if len(cells) == 2 and len(cells[0].split()) <= LABEL_WORDS and not cells[0].endswith("."):
                out.add_term(cells[0])
                out.add(cells[1])
            elif cells:
                out.add(" | ".join(cells))
    elif tag == "code":
        out.add("".join(element.itertext()), code=True)
    elif tag not in ("graphic", "lb"):
        text = _words(element)
        if is_option_label(text):
            out.add_term(text)  # a manual's option ("-c --stdout") above its description
        else:
            out.add(text, code=_only_code(element))


def _trafilatura(tree: Any, max_chars: int, recall: bool = False) -> TextBuilder:
    import trafilatura

    found = trafilatura.bare_extraction(
        tree, output_format="xml", with_metadata=False, include_comments=False, include_tables=True,
        include_images=False, include_links=False, deduplicate=False, favor_recall=recall,
    )
    out = TextBuilder(max_chars)
    body = getattr(found, "body", None)
    for element in body if body is not None else ():
        _add_element(element, out)
    return out


def _parse(path: Path, max_chars: int) -> Any:
    from trafilatura.utils import load_html

    size = path.stat().st_size
    if size > max_chars * MAX_HTML_FACTOR:
        raise FormatProblem(
            f"too large ({size / 1e6:.1f} MB of HTML)", "split it, or raise max_file_mb / QA_MAX_FILE_MB", "too large"
        )
    data = path.read_bytes()
    if not data.strip():
        raise FormatProblem("empty file", "add text to it or remove it")
    try:
        tree = load_html(data)
    except Exception as error:  # lxml raises several kinds for a broken page
        raise FormatProblem(f"cannot be read as HTML ({type(error).__name__})", "check the file", "not HTML") from None
    if tree is None:
        raise FormatProblem("cannot be read as HTML", "check the file", "not HTML")
    return tree


def _prose_share(text: str) -> float:
    lines = [line for line in text.split("\n") if line.strip()]
    total = sum(len(line.split()) for line in lines)
    return sum(len(line.split()) for line in lines if is_prose(line)) / total if total else 0.0


def _heading_names(out: TextBuilder) -> list[str]:
    text = out.text()
    return [text[h.start : h.end].casefold() for h in out.headings]


def _keeps_headings(whole: TextBuilder, out: TextBuilder) -> bool:
    """Whether the main text keeps the sections of the page's content: most of its headings."""
    wanted = _heading_names(whole)
    found = set(_heading_names(out))
    return len(wanted) < 2 or sum(name in found for name in wanted) >= MIN_KEPT * len(wanted)


def _main_text(tree: Any, whole: TextBuilder, max_chars: int) -> tuple[TextBuilder, str, float | None]:
    """trafilatura's main text, its recall mode's, or the page's whole content (`whole`), with how it was
    read ("" for the main text) and the share of the content's words it keeps (None: too few to measure)."""
    content = whole.text()
    counts = word_counts(content)
    out = _trafilatura(tree, max_chars)
    if sum(counts.values()) < MIN_CONTENT_WORDS:
        return (out, "", None) if out.parts else (whole, "whole page", None)
    if not out.parts or not _keeps_headings(whole, out):
        return whole, "whole page", 1.0  # its sections would be lost: the whole content is read
    kept = kept_share(counts, out.text())
    if kept >= MIN_KEPT or _prose_share(content) < PROSE_SHARE:
        return out, "", kept
    recalled = _trafilatura(tree, max_chars, recall=True)
    kept = kept_share(counts, recalled.text())
    return (recalled, "recall", kept) if kept >= MIN_KEPT else (whole, "whole page", 1.0)


def extract_html(path: Path, max_chars: int) -> Extracted:
    """The main text of a saved web page: headings and paragraphs in order; the title is the page's,
    less the site's name that the titles of its folder's pages share; `kept` is the share of the
    page's content words the text holds."""
    tree = _parse(path, max_chars)
    whole = TextBuilder(max_chars)
    write_content(pruned_content(tree), whole)
    try:
        out, how, kept = _main_text(tree, whole, max_chars)
    except FormatProblem:
        raise
    except Exception as error:  # lxml and trafilatura raise several kinds for a broken page
        raise FormatProblem(f"cannot be read as HTML ({type(error).__name__})", "check the file", "not HTML") from None
    if not out.parts:
        raise FormatProblem("no main text found in the page", "save the article's own page, not an index page",
                            "no main text")
    text = out.text()
    title = (manual_summary(text, out.headings) or without_affixes(page_title(tree), folder_affixes(path, quick_title))
             or path.name)
    return Extracted(text, title=title, headings=tuple(out.headings), structured=True,
                     date=metadata_date(tree), code=not_answers(text, out.headings, out.code), kept=kept, how=how)
