"""Plain text and Markdown: the file's own text, decoded from UTF-8 (offsets exact, line endings kept)."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from index.documents.formats import Extracted, FormatProblem, Heading

ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")


def read_text(path: Path, max_chars: int) -> str:
    """The file's bytes as UTF-8 text, or a FormatProblem saying why not (empty, binary, other encoding)."""
    size = path.stat().st_size
    if size > max_chars:
        raise FormatProblem(
            f"too large ({size / 1e6:.1f} MB, limit {max_chars / 1e6:.0f} MB)",
            "split it, or raise max_file_mb / QA_MAX_FILE_MB",
            "too large",
        )
    data = path.read_bytes()
    if not data.strip():
        raise FormatProblem("empty file", "add text to it or remove it")
    marked = marked_text(data)
    if marked is not None:
        return marked
    if b"\x00" in data[:8192]:
        raise FormatProblem("binary file, not text", "convert it to .txt", "binary")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FormatProblem(
            f"not UTF-8 text (bad byte at offset {error.start})",
            "re-save it as UTF-8, e.g. iconv -f latin1 -t utf-8",
            "not UTF-8",
        ) from None


# Byte-order marks and their codecs, longest first (UTF-32 LE's mark begins with UTF-16 LE's).
MARKS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def marked_text(data: bytes) -> str | None:
    """Text that opens with a byte-order mark (UTF-16 and UTF-32 as Windows tools save them, UTF-8 with
    a mark), decoded without the mark; None when there is no mark, or the bytes after it do not
    decode (a binary file that happens to open with the same bytes). Offsets count the decoded text."""
    for mark, codec in MARKS:
        if data.startswith(mark):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                return None
    return None


def extract_plain(path: Path, max_chars: int) -> Extracted:
    """A .txt file: its text as it is; prose is found by the shape of its lines."""
    return Extracted(read_text(path, max_chars))


def markdown_headings(text: str) -> tuple[Heading, ...]:
    """ATX (`## Title`) and setext (a line underlined with === or ---) headings outside code fences;
    each span covers the heading's words, without its markers."""
    headings: list[Heading] = []
    lines = text.splitlines(keepends=True)
    offset, in_fence, previous = 0, False, None  # previous: (start, end) of a text line that may be underlined
    for line in lines:
        body = line.rstrip("\r\n")
        if FENCE.match(body):
            in_fence, previous = not in_fence, None
        elif not in_fence:
            atx = ATX_HEADING.match(body)
            underline = SETEXT_UNDERLINE.match(body)
            if atx:
                headings.append(Heading(offset + atx.start(2), offset + atx.end(2), len(atx.group(1))))
                previous = None
            elif underline and previous is not None:
                headings.append(Heading(previous[0], previous[1], 1 if underline.group(1)[0] == "=" else 2))
                previous = None
            elif body.strip():
                stripped = body.strip()
                start = offset + body.index(stripped)
                previous = (start, start + len(stripped))
            else:
                previous = None
        offset += len(line)
    return tuple(headings)


def extract_markdown(path: Path, max_chars: int) -> Extracted:
    """A Markdown file: its text as it is, with its headings as structure; the title is its first
    level-1 heading (else its file name)."""
    text = read_text(path, max_chars)
    headings = markdown_headings(text)
    top = next((h for h in headings if h.level == 1), None)
    title = text[top.start : top.end] if top else path.name
    return Extracted(text, title=title, headings=headings, structured=True)
