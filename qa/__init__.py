"""Ask questions of indexed documents from Python; get back verbatim passages with citations.

    import qa

    assistant = qa.open()  # the index `qa ingest` built; or qa.open("DIR") or qa.open("http://HOST:PORT")
    answer = assistant.ask("when were talks suspended?")
    for passage in answer.passages:
        print(passage.citation.label, passage.answer_text)

The API is `open` (or `Assistant.open`), `Assistant.ask`, `.show` and `.sources`, and the frozen
records they return: `Answer` of `Passage`s, each with its `Citation`; `ShownText`;
`IndexedDocument`. A `Conversation` passed to `ask` reads each question as a follow-up of the one
before. Errors are `QAError`s whose text is the one line to show. The same records serve `qa ask
--json`, the app and `qa mcp`, and `qa.render` says them in the same words everywhere (`from qa
import render`; `render.headline(answer)`: why it abstains, or what to check before quoting it).
Names are imported on first use, so `import qa` costs nothing.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from config.errors import QAError
    from qa.catalogue import IndexedDocument
    from qa.conversation import Conversation
    from qa.engine import Assistant
    from qa.passages import Answer, Citation, Passage
    from qa.show import ShownText
    from qa.timeline import Timeline

__all__ = ["Answer", "Assistant", "Citation", "Conversation", "IndexedDocument", "Passage", "QAError", "ShownText",
           "Timeline", "open"]

_HOMES = {"Assistant": "qa.engine", "Answer": "qa.passages", "Citation": "qa.passages", "Passage": "qa.passages",
          "Conversation": "qa.conversation", "IndexedDocument": "qa.catalogue", "ShownText": "qa.show",
          "Timeline": "qa.timeline", "QAError": "config.errors"}


def open(index: str | os.PathLike[str] | None = None, *, root: str | os.PathLike[str] | None = None,
         reader: bool | None = None) -> Assistant:
    """An assistant over the index at `index`: a folder or a Chroma server URL (None: `$QA_INDEX`, or
    `.qa/index` in the project). `root`: the corpus folder on this machine, for an index that stores
    paths relative to one (`qa ingest --root`); `reader=False` answers without the reading model.
    The other settings are read as the CLI reads them (`$QA_*`, `qa.toml`). Raises `QAError` (no index
    there, a server that does not answer, ...)."""
    from config.settings import load_settings
    from qa.engine import Assistant

    return Assistant.open(load_settings(index=None if index is None else os.fspath(index),
                                        root=None if root is None else os.fspath(root), reader=reader))


def __getattr__(name: str) -> Any:
    """The API's names, imported when first used."""
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
