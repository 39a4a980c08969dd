"""What an index holds: its documents, each with its title, date, format and number of passages."""

from __future__ import annotations

from dataclasses import dataclass

from index.documents.read import display_path
from index.store import Store


@dataclass(frozen=True)
class IndexedDocument:
    """One indexed file.

    source: the file as a person types it (as citations name it); path: its absolute path; date: its
    own date, ISO at its precision ("2014-07"), None when undated; format: what it was read as
    ("text", "markdown", "html", "pdf", "docx"); passages: the chunks the index holds of it."""

    source: str
    path: str
    title: str
    date: str | None
    format: str
    passages: int

    def to_json(self) -> dict[str, object]:
        """The document as JSON (its absolute path left out)."""
        return {"source": self.source, "title": self.title, "date": self.date, "format": self.format,
                "passages": self.passages}


def indexed_documents(store: Store) -> tuple[IndexedDocument, ...]:
    """Every file the index holds, by name."""
    documents = (IndexedDocument(display_path(r.source), r.source, r.title, r.date or None,
                                 r.extractor.split("/")[0], r.chunks) for r in store.file_records().values())
    return tuple(sorted(documents, key=lambda d: d.source))
