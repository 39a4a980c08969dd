"""Canonical texts kept in the index: every indexed file's text, read once, at ingest.

The ingest stores each file's `Extracted` (its text, title, headings, code spans and, for a paged format,
its page and line table) keyed by the SHA-256 of the file's bytes; every later reader of the file's text
(a passage checked against its file, `qa show`, the app's viewer) reads it from there and never imports
an extractor. A file whose bytes changed since has no text kept for its new bytes: it is read again
(and its passages checked against what it says now, so stale is still stale), as is a file of an index
made before texts were kept, until the next `qa ingest` keeps its text.

The texts live in the index's own Chroma database, collection `qa_texts`, so they travel with it and
work through a Chroma server as the chunks do: one record per text, the `Extracted` as JSON compressed
by zlib in base64 (in the metadata: a document would be indexed for full-text search as well), with
the extractor that made it and what read its scanned pages by OCR ("tesseract 5.3.0 eng").
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.documents.formats import Extracted, Heading, format_of
from index.documents.read import Document, file_sha256, read_document, special_file
from index.store import Store

if TYPE_CHECKING:
    from index.documents.formats.ocr import PageReader

TEXTS = "qa_texts"
PACKED = "packed"  # metadata key of the compressed text (a text kept before it was: the JSON as the document)


@dataclass(frozen=True)
class StoredText:
    """A canonical text as the index keeps it: the extraction, what extracted it ("pdf/3 pypdfium2==5.15.2")
    and what read its scanned pages ("tesseract 5.3.0 eng")."""

    extracted: Extracted
    extractor: str
    read_by: str = ""

    @property
    def format_name(self) -> str:
        """The name of the format it was read as ("pdf" of "pdf/4 pypdfium2==5.15.2")."""
        return self.extractor.split("/")[0]


def encoded(extracted: Extracted) -> str:
    """An `Extracted` as one JSON string."""
    return json.dumps(asdict(extracted), ensure_ascii=False, separators=(",", ":"))


def decoded(text: str) -> Extracted:
    """The `Extracted` that `encoded` wrote (fields added since default)."""
    data = json.loads(text)
    data["headings"] = tuple(Heading(**h) for h in data.get("headings", ()))
    for key in ("pages", "read_by_ocr"):
        data[key] = tuple(data.get(key, ()))
    for key in ("lines", "code"):
        data[key] = tuple(tuple(row) for row in data.get(key, ()))
    return Extracted(**data)


def packed(extracted: Extracted) -> str:
    """An `Extracted` as compact text: its JSON compressed by zlib, in base64."""
    return base64.b64encode(zlib.compress(encoded(extracted).encode("utf-8"), 9)).decode("ascii")


def unpacked(text: str) -> Extracted:
    """The `Extracted` that `packed` wrote."""
    return decoded(zlib.decompress(base64.b64decode(text)).decode("utf-8"))


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
        extracted = unpacked(str(meta[PACKED])) if PACKED in meta else decoded(got["documents"][0])
        return StoredText(extracted, str(meta.get("extractor", "")), str(meta.get("read_by", "")))

    def put(self, kept: dict[str, StoredText]) -> None:
        """Keep each text for the file whose bytes hash to its key."""
        if not kept:
            return
        texts = self._texts(create=True)
        limit = self.store.batch_limit()
        items = list(kept.items())
        for first in range(0, len(items), limit):
            part = items[first : first + limit]
            texts.upsert(ids=[digest for digest, _ in part], embeddings=[[0.0]] * len(part),
                         metadatas=[{PACKED: packed(text.extracted), "extractor": text.extractor,
                                     "read_by": text.read_by} for _, text in part])

    def held(self) -> set[str]:
        """The SHA-256 of every file whose text is kept."""
        texts = self._texts()
        return set() if texts is None else set(texts.get(include=[])["ids"])

    def keep_only(self, digests: set[str]) -> int:
        """Drop the texts of bytes no indexed file has any more; how many were dropped."""
        texts = self._texts()
        if texts is None:
            return 0
        dropped = [i for i in texts.get(include=[])["ids"] if i not in digests]
        for first in range(0, len(dropped), 5000):
            texts.delete(ids=dropped[first : first + 5000])
        return len(dropped)

    def document(self, path: Path, sha256: str | None = None) -> Document | None:
        """The file's document from the text kept for its bytes (`sha256` when known), or None: no text
        kept for them, or one of another format (the same bytes named `.md` and `.txt`)."""
        found = format_of(path) if special_file(path) is None else None
        if found is None:
            return None
        try:
            digest = sha256 or file_sha256(path)
        except OSError:
            return None
        stored = self.get(digest)
        if stored is None or stored.format_name != found.name:
            return None
        return Document(path=path, text=stored.extracted.text, sha256=digest, extracted=stored.extracted,
                        extractor=stored.extractor)


def read_for_index(path: Path, max_bytes: int, texts: CanonicalTexts, ocr: PageReader) -> Document:
    """A new or changed file's document for the ingest: a scan's text kept for its bytes when the same
    extractor made it (a scan is never read by OCR twice, an interrupted ingest or a rebuilt index
    included), else extracted with its scanned pages read by `ocr`, and kept at once when they were
    (every other text is kept with its file's chunks: `text_of`)."""
    found = format_of(path)
    kept = texts.document(path) if found is not None and found.scans else None
    if kept is not None and kept.extractor == found.id and len(kept.text) <= max_bytes and (  # type: ignore[union-attr]
            kept.extracted.read_by_ocr):
        return kept
    document = read_document(path, max_bytes, ocr)
    if document.extracted.read_by_ocr:
        texts.put({document.sha256: StoredText(document.extracted, document.extractor, ocr.engine())})
    return document


def text_of(document: Document, ocr: PageReader | None = None) -> StoredText:
    """What the index keeps of a document read at ingest."""
    read_by = ocr.engine() if ocr is not None and document.extracted.read_by_ocr else ""
    return StoredText(document.extracted, document.extractor, read_by)
