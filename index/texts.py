"""Canonical texts kept in the index, for files whose bytes alone do not give their text again: a
scan's pages read by OCR (`Extracted.read_by_ocr`). Every other text is re-derived from the file by
its extractor (deterministic: CONTRIBUTING.md, **Formats**); a text read by OCR is stored once, at
ingest, and read back wherever the file's text is needed (a passage checked against its file,
`qa show`), never read by OCR again.

The texts live in the index's own Chroma database, collection `qa_texts`, so they travel with it and
work through a Chroma server as the chunks do: one record per text, keyed by the SHA-256 of the
file's bytes, holding the `Extracted` as JSON with the extractor that made it and what read its
pages. Nothing here is particular to OCR: any file's canonical text could be kept the same way.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.documents.formats import Extracted, Heading, format_of
from index.documents.read import Document, file_sha256, read_document, special_file
from index.store import Store

if TYPE_CHECKING:
    from index.documents.formats.ocr import PageReader

TEXTS = "qa_texts"


@dataclass(frozen=True)
class StoredText:
    """A canonical text as the index keeps it: the extraction, what extracted it ("pdf/3 pypdfium2==5.15.2")
    and what read its scanned pages ("tesseract 5.3.0 eng")."""

    extracted: Extracted
    extractor: str
    read_by: str = ""


def encoded(extracted: Extracted) -> str:
    """An `Extracted` as one JSON string."""
    return json.dumps(asdict(extracted), ensure_ascii=False)


def decoded(text: str) -> Extracted:
    """The `Extracted` that `encoded` wrote."""
    data = json.loads(text)
    return Extracted(data["text"], title=data["title"], headings=tuple(Heading(**h) for h in data["headings"]),
                     pages=tuple(data["pages"]), lines=tuple(tuple(line) for line in data["lines"]),
                     structured=data["structured"], date=data["date"], read_by_ocr=tuple(data["read_by_ocr"]))


class CanonicalTexts:
    """The texts an index keeps, by the SHA-256 of their file's bytes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._collection: Any | None = None

    def _texts(self, create: bool = False) -> Any | None:
        if self._collection is None:  # looked for again while missing: an ingest may make it meanwhile
            self._collection = self.store.collection(TEXTS, create)
        return self._collection

    def get(self, sha256: str) -> StoredText | None:
        """The text kept for these bytes, or None."""
        texts = self._texts()
        if texts is None:
            return None
        got = texts.get(ids=[sha256], include=["documents", "metadatas"])
        if not got["ids"]:
            return None
        meta = got["metadatas"][0] or {}
        return StoredText(decoded(got["documents"][0]), str(meta.get("extractor", "")), str(meta.get("read_by", "")))

    def put(self, sha256: str, text: StoredText) -> None:
        """Keep `text` for the file whose bytes hash to `sha256`."""
        self._texts(create=True).upsert(ids=[sha256], embeddings=[[0.0]], documents=[encoded(text.extracted)],
                                        metadatas=[{"extractor": text.extractor, "read_by": text.read_by}])

    def keep_only(self, digests: set[str]) -> int:
        """Drop the texts of bytes no indexed file has any more; how many were dropped."""
        texts = self._texts()
        if texts is None:
            return 0
        dropped = [i for i in texts.get(include=[])["ids"] if i not in digests]
        if dropped:
            texts.delete(ids=dropped)
        return len(dropped)

    def document(self, path: Path, sha256: str | None = None) -> Document | None:
        """The file's document from the text kept for its bytes (`sha256` when known), or None: not a
        format whose pages may be scans, or no text kept."""
        found = format_of(path) if special_file(path) is None else None
        if found is None or not found.scans:
            return None
        try:
            digest = sha256 or file_sha256(path)
        except OSError:
            return None
        stored = self.get(digest)
        if stored is None:
            return None
        return Document(path=path, text=stored.extracted.text, sha256=digest, extracted=stored.extracted,
                        extractor=stored.extractor)


def read_for_index(path: Path, max_bytes: int, texts: CanonicalTexts, ocr: PageReader) -> Document:
    """A new or changed file's document for the ingest: the text kept for its bytes when the same
    extractor made it (a scan is never read by OCR twice, an interrupted ingest or a rebuilt index
    included), else extracted with its scanned pages read by `ocr`, and kept when they were."""
    kept = texts.document(path)
    found = format_of(path)
    if kept is not None and found is not None and kept.extractor == found.id and len(kept.text) <= max_bytes:
        return kept
    document = read_document(path, max_bytes, ocr)
    if document.extracted.read_by_ocr:
        texts.put(document.sha256, StoredText(document.extracted, document.extractor, ocr.engine()))
    return document
