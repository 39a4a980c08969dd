"""What an ingest did: the files added, changed, removed and skipped, and the lines that say so."""

from __future__ import annotations

from dataclasses import dataclass, field

from config.errors import UnreadableFile
from index.documents.read import display_path

LOW_KEPT = 0.9  # a file whose text keeps less of its words than this is named in the summary


@dataclass
class IngestReport:
    """What an ingest did, for its one-line summary."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[UnreadableFile] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_total: int = 0
    chunks_tokenized: int = 0  # chunk texts the BM25 index tokenized (only new ones)
    rebuilt: str = ""
    seconds: float = 0.0
    # per file embedded: its non-blank lines that no chunk holds (headings, code, menus, addresses: not
    # prose), and all its non-blank lines
    lines_left_out: dict[str, tuple[int, int]] = field(default_factory=dict)
    # files read as the format their first bytes show, not their name's: (file, that format's suffix)
    misnamed: list[tuple[str, str]] = field(default_factory=list)
    # unchanged files of an index made before every text was kept, whose text this ingest kept (`index.texts`)
    texts_kept: int = 0
    ocr_pages: int = 0  # scanned pages read by OCR (index.documents.formats.ocr), and the seconds that took
    ocr_seconds: float = 0.0
    parsed: int = 0  # texts read by the English model (index.parses)
    # per file extracted from a web page, PDF or Word file: the share of its own words its text keeps, and
    # how it was read when not the usual way ("whole page": the main-text extractor kept too little)
    kept: dict[str, tuple[float, str]] = field(default_factory=dict)

    def texts_summary(self) -> str:
        """One line on the texts kept for files indexed before texts were, "" when none were."""
        if not self.texts_kept:
            return ""
        return (f"Kept the text of {self.texts_kept:,} unchanged file{'s' if self.texts_kept != 1 else ''}: "
                "questions read it from the index now")

    def ocr_summary(self) -> str:
        """One line on the pages read by OCR, "" when none were."""
        if not self.ocr_pages:
            return ""
        return (f"Read {self.ocr_pages:,} scanned page{'s' if self.ocr_pages != 1 else ''} by OCR in "
                f"{self.ocr_seconds:.1f} s")

    def kept_summary(self) -> str:
        """One line naming the files whose text keeps less than `LOW_KEPT` of their words, "" for none."""
        low = sorted((share, source) for source, (share, _) in self.kept.items() if share < LOW_KEPT)
        if not low:
            return ""
        named = ", ".join(f"{display_path(source)} ({share:.0%})" for share, source in low[:5])
        more = f" and {len(low) - 5} more" if len(low) > 5 else ""
        return f"Kept less than {LOW_KEPT:.0%} of the words of {len(low)} file(s): {named}{more}"

    def left_out_summary(self) -> str:
        """One line on the lines that were not indexed, "" when none were."""
        left = sum(n for n, _ in self.lines_left_out.values())
        if not left:
            return ""
        lines = sum(total for _, total in self.lines_left_out.values())
        return (f"Left out {left:,} of {lines:,} lines that read as no prose (headings, code, menus, links, "
                "addresses); `qa ingest -v` counts them per file")

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped; "
            f"{self.chunks_embedded} chunks embedded, {self.chunks_total} in the index; {self.seconds:.1f} s"
        )
