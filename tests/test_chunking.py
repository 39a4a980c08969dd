"""Chunks are verbatim, sentence-aligned slices of the prose, and page furniture never enters them."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from config.settings import Settings
from index.documents.chunking import chunk_spans, document_title, is_prose, prose_blocks
from index.documents.lines import wrap_width
from index.documents.read import read_document
from index.documents.sentences import split_sentences
from index.store import Store
from tests.conftest import CORPUS

CORPUS_FILES = sorted(CORPUS.glob("*.txt"))
FURNITURE = [
    "Accessibility links",
    "Breaking News",
    "Cuba Travel",
    "please wait",
    "No media source currently available",
    "0:00 0:03:55 0:00",
    "Direct link",
    "XS",
    "SM",
    "MD",
    "LG",
    "Post a Comment",
    "Powered by GovDelivery",
    "WHAPress@State.Gov",
    "Promotion 24/7 with CaribPR",
    "Digital Marketing by Hard Beat Communications",
]


def texts(span_list: list, text: str) -> list[str]:
    return [text[s.start : s.end] for s in span_list]


def test_the_bundled_corpus_is_indexed_whole_under_its_headlines(corpus_settings: Settings) -> None:
    """What `qa ingest` of the bundled corpus gives a user: its five articles, none skipped, each
    with its headline as the title its passages show."""
    records = Store(corpus_settings).file_records()
    assert sorted(records) == [str(path) for path in CORPUS_FILES] and len(records) == 5
    titles = {Path(source).name: record.title for source, record in records.items()}
    assert titles["2014-07-voa-us-committed-to-legal-cuban-migration.txt"] == (
        "U.S. Remains Committed To Safe, Legal Cuban Migration")
    assert titles["2022-11-15-latina-republic-havana-talks.txt"] == (
        "Cuba and the United States Hold Immigration Talks in Havana")


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_every_chunk_is_a_verbatim_slice_that_never_cuts_a_word(path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    text = read_document(path, 10**7).text
    chunks = chunk_spans(text, max_tokens=160, overlap=1, count_tokens=encoder.count_tokens)
    assert chunks
    for chunk in chunks:
        piece = text[chunk.start : chunk.end]
        assert piece == piece.strip() and piece
        assert chunk.start == 0 or not text[chunk.start - 1].isalnum()
        assert chunk.end == len(text) or not text[chunk.end].isalnum()
        assert encoder.count_tokens(piece) <= 160


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_chunks_cover_every_prose_line_and_no_furniture(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    chunks = chunk_spans(text)
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    for line in text.splitlines():
        if is_prose(line):
            start = text.index(line.strip())
            assert start in covered, f"prose line not in any chunk: {line[:60]!r}"
    for chunk in texts(chunks, text):
        for line in chunk.splitlines():
            assert line.strip() not in FURNITURE, f"furniture {line!r} inside a chunk"


def test_furniture_is_recognised_by_shape_not_by_name() -> None:
    page = (
        "Home\nNews\nSports\nSign in\n\n"
        "00:12 / 04:31\n\nLoading...\n\n"
        "The council voted on Tuesday to close the old harbour bridge for repairs until next spring.\n\n"
        "Share this article · Facebook · Twitter · Email\n"
        "Contact the newsroom at desk@example.org for corrections to this story.\n"
        "S M L XL\n"
    )
    chunks = texts(chunk_spans(page), page)
    assert chunks == ["The council voted on Tuesday to close the old harbour bridge for repairs until next spring."]


def test_consecutive_chunks_of_a_paragraph_share_a_sentence() -> None:
    sentences = [f"Sentence number {i} talks about the harbour and the bridge repairs in detail." for i in range(12)]
    text = " ".join(sentences)
    chunks = texts(chunk_spans(text, max_tokens=60, overlap=1), text)
    assert len(chunks) > 2
    for first, second in itertools.pairwise(chunks):
        last_sentence = re.split(r"(?<=\.) ", first)[-1]
        assert second.startswith(last_sentence)


def test_a_sentence_longer_than_the_window_is_cut_between_words() -> None:
    words = ["harbour", "bridge", "council", "repairs", "spring", "tuesday", "vote", "river"]
    text = "The " + " ".join(words[i % len(words)] for i in range(400)) + " ends here."
    chunks = chunk_spans(text, max_tokens=50, overlap=0)
    assert len(chunks) > 5
    assert " ".join(text[c.start : c.end] for c in chunks) == text
    for chunk in chunks:
        assert not text[chunk.end : chunk.end + 1].isalnum()


def test_sentences_survive_abbreviations_and_initials() -> None:
    text = "Mr. Smith met U.S. officials in Washington on Jan. 5. John F. Kennedy was not there. Was it late?"
    assert texts(split_sentences(text), text) == [
        "Mr. Smith met U.S. officials in Washington on Jan. 5.",
        "John F. Kennedy was not there.",
        "Was it late?",
    ]


def test_windows_line_endings_keep_offsets_exact(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(
        b"Title\r\n\r\nThe first paragraph has enough words to count as prose here.\r\n"
        b"And a second line of prose follows it with several words.\r\n"
    )
    text = read_document(path, 10**6).text
    assert "\r\n" in text
    for chunk in chunk_spans(text):
        assert "prose" in text[chunk.start : chunk.end]
        assert not text[chunk.end - 1].isspace()


def test_a_dateline_stays_with_the_paragraph_it_dates() -> None:
    text = "Havana, November 15, 2022\n\nDelegates from both countries met in the capital on Tuesday to talk."
    (block,) = prose_blocks(text)
    assert text[block.start : block.end].startswith("Havana, November 15, 2022")


def test_titles_come_from_headlines_not_menus() -> None:
    titles = {p.name: document_title(p.read_text(encoding="utf-8"), p.stem) for p in CORPUS_FILES}
    assert titles["2014-07-voa-us-committed-to-legal-cuban-migration.txt"] == (
        "U.S. Remains Committed To Safe, Legal Cuban Migration"
    )
    assert titles["2022-04-20-news-americas-migration-talks.txt"] == "2022-04-20-news-americas-migration-talks"
    assert document_title("# Notes on bridges\n\nSome text here.", "x") == "Notes on bridges"


# A manual page as `man` prints it at 80 columns: hard-wrapped, justified, options as labels above
# their indented descriptions (a made-up tool, in the shape of grep(1) and ls(1)).
MANUAL = (Path(__file__).parent / "data" / "harbourctl.1.txt").read_text(encoding="utf-8")


def test_a_hard_wrapped_sentence_is_one_sentence_and_none_of_it_is_lost() -> None:
    """A manual, an e-mail or a plain-text book wraps its sentences over lines: every line of them is
    indexed, and a sentence is cut at its full stop, never at a line end."""
    chunks = texts(chunk_spans(MANUAL), MANUAL)
    indexed = " ".join(" ".join(chunk.split()) for chunk in chunks)
    assert "sorted by name, and exits with status zero when all of them answer within the time limit." in indexed
    sentences = [" ".join(MANUAL[s.start : s.end].split())
                 for block in prose_blocks(MANUAL) for s in split_sentences(MANUAL, block.start, block.end,
                                                                             wrap_width(MANUAL))]
    assert ("With no option it lists every gate, one per line, sorted by name, and exits with status zero when all "
            "of them answer within the time limit.") in sentences


def test_an_option_is_indexed_with_the_description_under_it() -> None:
    """An option's name stands on its own line above its description: the two are one block, so the
    answer to "which option closes gates?" shows "-c, --close" with what it does."""
    blocks = [" ".join(MANUAL[b.start : b.end].split()) for b in prose_blocks(MANUAL)]
    assert any("-c, --close Close the named gates and wait until each one reports that it is shut." in b
               for b in blocks)
    assert any("-t sort by the time of the last movement, newest first" in b for b in blocks)
    assert "NAME harbourctl - open, close and inspect the gates of a harbour" in blocks


def test_list_items_and_a_sign_off_are_kept_but_menus_are_not() -> None:
    """A changelog's items and the line that signs them say what changed and who did it; a menu's
    one-word items say nothing."""
    changelog = (
        "harbourctl (2.1-1) unstable; urgency=medium\n\n"
        "  * Close gates in the order the operator gave them.\n"
        "  * Fix a crash when the controller sends an empty reply\n"
        "  * First public release.\n\n"
        " -- Jane Doe <jane@example.org>  Mon, 03 Jun 2024 10:12:00 +0200\n\n"
        "* Home\n* News\n* Contact us\n\n"
        "  1. Source Code.\n"
    )
    chunks = texts(chunk_spans(changelog), changelog)
    assert len(chunks) == 1
    assert "Fix a crash when the controller sends an empty reply" in chunks[0]
    assert "First public release." in chunks[0]  # short, but a sentence: not a menu entry
    assert "Source Code" not in chunks[0]  # a numbered heading
    assert chunks[0].endswith("Jane Doe <jane@example.org>  Mon, 03 Jun 2024 10:12:00 +0200")
    assert "Home" not in chunks[0] and "Contact us" not in chunks[0]


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_a_page_saved_one_paragraph_a_line_is_not_taken_for_wrapped_text(path: Path) -> None:
    """Scraped and exported text puts a paragraph on a line: every line break there means something,
    so two short menu lines are never run together."""
    assert wrap_width(path.read_text(encoding="utf-8")) is None
    assert wrap_width(MANUAL) == 78


def test_a_wrapped_readme_with_a_long_list_of_names_is_still_read_as_wrapped() -> None:
    """A release note wraps its prose and then thanks a hundred people, a name a line: the names say
    nothing of the width the prose was wrapped at, and its sentences still run on over their lines
    (a README from /usr/share/doc had 93 % of its lines left out)."""
    prose = "".join(
        f"Release {n} of the library changes how the server checks the tickets it is handed, so a\n"
        "client that still sends the old kind of ticket is refused with a clear message and the\n"
        "administrator is told which client it was.\n\n" for n in range(1, 5))
    names = "".join(f"Contributor Number{n:03d}\n" for n in range(120))
    notes = prose + "Thanks to:\n\n" + names
    assert wrap_width(notes) is not None
    sentences = [" ".join(notes[s.start : s.end].split()) for b in prose_blocks(notes)
                 for s in split_sentences(notes, b.start, b.end, wrap_width(notes))]
    assert ("Release 2 of the library changes how the server checks the tickets it is handed, so a client that "
            "still sends the old kind of ticket is refused with a clear message and the administrator is told "
            "which client it was.") in sentences


def test_a_paragraph_whose_first_line_alone_is_indented_is_read_whole() -> None:
    """A licence or a book indents a paragraph's first line only: that line runs on into the next
    ones like any other, and is not left out for being short of a full stop."""
    licence = "".join(
        f"  Paragraph {n} of the terms says that the licensee may copy the work and hand\n"
        "on the copies to others, so long as each copy keeps this notice and the\n"
        "name of the author who first wrote it.\n\n" for n in range(1, 4))
    assert wrap_width(licence) is not None
    sentences = [" ".join(licence[s.start : s.end].split()) for b in prose_blocks(licence)
                 for s in split_sentences(licence, b.start, b.end, wrap_width(licence))]
    assert sentences[0] == ("Paragraph 1 of the terms says that the licensee may copy the work and hand on the "
                            "copies to others, so long as each copy keeps this notice and the name of the author "
                            "who first wrote it.")
    assert len(sentences) == 3


def test_a_markdown_link_in_a_heading_is_its_text_in_the_titles_under_it(tmp_path: Path) -> None:
    """A changelog's version headings link to their diffs: the card's title line says the version and
    its date, not the address, and the address's words are no words of every chunk under it."""
    from index.documents.chunking import TITLE_SEPARATOR, document_chunks

    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n"
                         "## [25.4.0](https://github.com/hynek/structlog/compare/25.3.0...25.4.0) - 2025-06-02\n\n"
                         "### Added\n\n- `structlog.tracebacks` now handles exception groups.\n", encoding="utf-8")
    extracted = read_document(changelog, 10**7).extracted
    titles = {title for _, title in document_chunks(extracted, "CHANGELOG")}
    assert TITLE_SEPARATOR.join(["Changelog", "25.4.0 - 2025-06-02"]) in titles  # the release opens its section
    assert not any("github" in title for title in titles)


def test_a_heading_that_dates_a_release_opens_its_section_but_a_bare_heading_is_only_a_title(tmp_path: Path) -> None:
    """A changelog says when a release came out in its heading alone ("2.1.0 - 2021-03-08" above "Fixed"):
    that line opens the chunk of the section under it, so "when was 2.1.0 released?" can be answered with
    it. A heading with no text of its own and no date or version ("Tools" above "Hammers", a numbered
    section's "3.5. /shed") is only a title."""
    from index.documents.chunking import document_chunks

    changelog = tmp_path / "CHANGES.md"
    changelog.write_text("# Changes\n\n## 2.1.0 - 2021-03-08\n\n### Fixed\n\n- Saving a file twice no longer "
                         "loses the second copy.\n\n## Tools\n\n### Hammers\n\nA hammer drives nails into "
                         "the boards of the shed.\n\n## 3.5. /shed : Where the tools are kept\n\n### 3.5.1. Purpose\n\n"
                         "The shed holds every tool that is not in use.\n", encoding="utf-8")
    extracted = read_document(changelog, 10**7).extracted
    chunks = [extracted.text[span.start : span.end] for span, _ in document_chunks(extracted, "CHANGES")]
    release = next(chunk for chunk in chunks if "2.1.0 - 2021-03-08" in chunk)
    assert "Saving a file twice" in release  # the section under it comes with it
    assert not any("Tools" in chunk for chunk in chunks)
    assert not any("/shed" in chunk for chunk in chunks)  # a section's number is no release's
    assert any("Saving a file twice" in chunk for chunk in chunks) and any("hammer drives" in chunk for chunk in chunks)
