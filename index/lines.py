"""Lines of a text: the one place line numbers and line bounds are computed (citations, chunks, the
source viewer and the eval's citation check all agree)."""

from __future__ import annotations


def line_of(text: str, offset: int) -> int:
    """The 1-based line number of `offset` in `text`."""
    return text.count("\n", 0, offset) + 1


def line_bounds(text: str) -> list[tuple[int, int]]:
    """`(start, end)` of each line of `text`, its line break left out (\\n, \\r\\n or any break
    `str.splitlines` knows)."""
    bounds, offset = [], 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        bounds.append((offset, offset + len(body)))
        offset += len(line)
    return bounds
