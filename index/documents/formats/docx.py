"""Word (.docx): paragraphs and headings in document order by python-docx, tables row by row."""

from __future__ import annotations

import re
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

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

HEADING_STYLE = re.compile(r"^Heading (\d)$")
CODE_STYLE = re.compile(r"(?i)\b(?:source code|code|preformatted|verbatim)\b")
# a definition list's term, as pandoc ("Definition Term", its definition "Definition") and LibreOffice
# ("List Heading", its definition "List Contents") write one
TERM_STYLES = frozenset(("Definition Term", "List Heading"))
MENU_LINKS = 3  # a paragraph of this many links and nothing else is a menu
MAX_DOCX_FACTOR = 20  # a .docx may be this many times its text limit on disk (images, styles)
# ... and its XML parts, unpacked, this many times the text limit: Word's markup around a text is
# rarely 10 times the text, while a zip bomb of 1 MB unpacks to gigabytes
MAX_XML_FACTOR = 40
DECLARATION_BYTES = 4096  # where an XML part's DOCTYPE would stand: before its root element


def check_package(path: Path, max_chars: int) -> None:
    """Refuse, before any XML is parsed, a .docx whose XML parts unpack to more than the limit allows
    (a zip bomb) or declare a DOCTYPE (Word never writes one; entities that expand a billion times
    need one)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = [info for info in archive.infolist() if info.filename.endswith((".xml", ".rels"))]
            unpacked = sum(info.file_size for info in parts)
            if unpacked > max_chars * MAX_XML_FACTOR:
                raise FormatProblem(f"its XML unpacks to {unpacked / 1e6:,.0f} MB (a zip bomb, or far over the limit)",
                                    "split it, or raise max_file_mb / QA_MAX_FILE_MB if it is genuine", "too large")
            for info in parts:
                with archive.open(info) as part:
                    head = part.read(DECLARATION_BYTES)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise FormatProblem(f"its part {info.filename} declares XML entities, which Word never writes",
                                        "open it in Word and save it again", "corrupt")
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise corrupt(error) from None


def corrupt(error: Exception) -> FormatProblem:
    name = type(error).__name__
    name = f"{type(error).__module__}.{name}" if name == "error" else name  # zlib.error
    return FormatProblem(f"not a readable .docx ({name}: corrupt, truncated or password-protected)",
                         "open it in Word and save it again without a password", "corrupt")


def _level(paragraph: Any) -> int:
    """A paragraph's heading level from its style (Title is 1, Heading N is N), 0 for body text."""
    name = paragraph.style.name if paragraph.style is not None else ""
    if name == "Title":
        return 1
    found = HEADING_STYLE.match(name or "")
    return int(found.group(1)) if found else 0


def _list_kind(paragraph: Any) -> str:
    """"number" for an item of a "List Number" style, "bullet" for any other list item (a "List ..." style,
    or numbering set on the paragraph itself, whose format lives in the numbering part, not read here), ""
    for any other paragraph. Word keeps a list's marks in its numbering, not in the text."""
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    p_pr = paragraph._p.pPr
    if not name.startswith("List") and (p_pr is None or p_pr.numPr is None):
        return ""
    return "number" if "Number" in name else "bullet"


def extract_docx(path: Path, max_chars: int) -> Extracted:
    """The text of a Word document: each paragraph one line, headings marked; the title is the
    document's Title property, else its first Title or Heading 1 paragraph, else its file name."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from lxml import etree

    size = path.stat().st_size
    if size > max_chars * MAX_DOCX_FACTOR:
        raise FormatProblem(f"too large ({size / 1e6:.1f} MB)", "split it, or raise max_file_mb / QA_MAX_FILE_MB",
                            "too large")
    check_package(path, max_chars)
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError, zlib.error,
            EOFError) as error:
        raise corrupt(error) from None
    out = TextBuilder(max_chars)
    first_heading = ""
    numbered = 0  # the items of a numbered list so far
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = [" ".join(c.split()) for c in dict.fromkeys(cell.text for cell in row.cells)]  # merged repeat
                cells = [c for c in cells if c]
                if len(cells) == 2 and len(cells[0].split()) <= LABEL_WORDS and not cells[0].endswith("."):
                    out.add_term(cells[0])  # a term and its definition
                    out.add(cells[1])
                elif cells:
                    out.add(" | ".join(cells))
            continue
        if (block.style.name if block.style is not None else "") in TERM_STYLES or is_option_label(block.text.strip()):
            out.add_term(block.text)
            continue
        if len(block.hyperlinks) >= MENU_LINKS and not "".join(block.text.split()).replace(
                "".join("".join(link.text.split()) for link in block.hyperlinks), ""):
            continue  # a paragraph of links alone: a table of contents, a menu
        level = _level(block)
        # a list item marked as Word shows it ("•", "3."), so a passage that brings a list tells its items
        kind = _list_kind(block)
        numbered = numbered + 1 if kind == "number" else 0
        mark = f"{numbered}. " if kind == "number" else "• " if kind == "bullet" else ""
        out.add(mark + block.text, heading_level=level, code=_is_code(block))
        if level == 1 and not first_heading:
            first_heading = " ".join(block.text.split())
    if not out.parts:
        raise FormatProblem("no text in the document", "add text to it or remove it", "no text")
    text = out.text()
    title = (manual_summary(text, out.headings) or " ".join((document.core_properties.title or "").split())
             or first_heading or path.name)
    return Extracted(text, title=title, headings=tuple(out.headings), structured=True,
                     code=not_answers(text, out.headings, out.code), kept=kept_share(_body_words(document), text))


def _is_code(paragraph: Any) -> bool:
    """A paragraph of a code style ("Source Code" as pandoc writes it, "HTML Preformatted", "Preformatted Text")."""
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    return bool(CODE_STYLE.search(name))


def _body_words(document: Any) -> Counter[str]:
    """The words of every paragraph of the document's body, text boxes and content controls included."""
    from docx.oxml.ns import qn

    paragraph, text = qn("w:p"), qn("w:t")
    parts: dict[Any, list[str]] = {}
    for run_text in document.element.body.iter(text):
        owner = next(run_text.iterancestors(paragraph), None)
        parts.setdefault(owner, []).append(run_text.text or "")
    return word_counts("\n".join("".join(texts) for texts in parts.values()))
