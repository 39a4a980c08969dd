"""Text from documents made harmless for a terminal: every control character shown, never sent.

A document, a file name or a question can hold escape sequences (ESC ] 0 ; title BEL sets a
window's title, ESC [ 2 J clears the screen, OSC 8 plants a hidden link). `visible` swaps each
control character for its picture (ESC → ␛, BEL → ␇), one character for one, so offsets into a
passage still hold; a line break and a tab stay as they are, and so does a carriage return that
ends a line (\\r\\n); a lone one would send the cursor back over the line.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TypeVar

T = TypeVar("T")

# C0 controls but tab and line feed, a carriage return not before a line feed, DEL, C1 controls,
# and lone surrogates (a string holding them cannot even be written to a UTF-8 stream).
CONTROL = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]|\r(?!\n)")
DEL_PICTURE = "\u2421"  # ␡
REPLACEMENT = "\ufffd"  # a C1 control or a lone surrogate has no picture of its own


def _picture(found: re.Match[str]) -> str:
    code = ord(found.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ ... ␟
    return DEL_PICTURE if code == 0x7F else REPLACEMENT


def visible(text: str) -> str:
    """`text` with every control character replaced by a visible one of the same length."""
    return CONTROL.sub(_picture, text)


def has_controls(text: str) -> bool:
    """Whether `text` holds a character that `visible` would replace."""
    return CONTROL.search(text) is not None


def visible_record(value: T, keep: frozenset[str] = frozenset()) -> T:
    """A copy of a record (a dataclass, and the lists, tuples and dicts in it) with `visible` applied
    to every string in it but the fields named in `keep` (a file's path, to open it by); offsets into
    its texts still hold, as `visible` keeps lengths."""
    if isinstance(value, str):
        return visible(value)  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changed = {f.name: visible_record(getattr(value, f.name), keep)
                   for f in dataclasses.fields(value) if f.init and f.name not in keep}
        return dataclasses.replace(value, **changed)  # type: ignore[return-value]
    if isinstance(value, list | tuple):
        return type(value)(visible_record(item, keep) for item in value)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {key: visible_record(item, keep) for key, item in value.items()}  # type: ignore[return-value]
    return value


# a citation's file and an answer's stale files, as the file system names them: opened, not shown
DATA_FIELDS = frozenset({"path", "stale"})
