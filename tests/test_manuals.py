"""Documentation read whole and as its authors structured it, on real files made by real tools
(tests/data/manuals/README.md says which): a Sphinx-built site, a manual page rendered by groff and
by man2html, the same printed to PDF by Chromium, and converted to Word by LibreOffice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.settings import Settings
from evals.known import FileTexts, citation_problem
from index.documents.chunking import TITLE_SEPARATOR, document_chunks
from index.documents.dates import dated
from index.documents.formats import Extracted
from index.documents.read import display_path, read_document
from index.encoder_protocol import SentenceEncoder
from index.ingest import ingest
from index.store import Store
from qa.engine import Assistant
from qa.show import show
from qa.sources import load_source
from tests.test_cli import run_qa

DATA = Path(__file__).parent / "data"
MANUALS = DATA / "manuals"
DEVREF = MANUALS / "devref"
CAT_SUMMARY = "cat - concatenate files and print on the standard output"


@pytest.fixture(scope="module")
def manuals_index(tmp_path_factory: pytest.TempPathFactory, encoder: SentenceEncoder) -> Settings:
    """An index of the manuals folder (its README aside), ingested once."""
    root = tmp_path_factory.mktemp("manuals")
    shutil.copytree(MANUALS, root / "manuals", ignore=shutil.ignore_patterns("README.md"))
    settings = Settings(index=str(root / "index"))
    report = ingest([root / "manuals"], settings, encoder)
    assert not report.skipped and len(report.added) == 6
    return settings


def test_a_sphinx_page_is_titled_without_its_site_name_and_its_sections_carry_their_path() -> None:
    document = read_document(DEVREF / "tools.html", 10**7)
    extracted = document.extracted
    # "1. Overview of Debian Maintainer Tools — developers-reference 12.18 documentation": the suffix
    # shared by the folder's pages is the site's, and its version is nobody's subject
    assert extracted.title == "1. Overview of Debian Maintainer Tools"
    assert "¶" not in extracted.text and extracted.kept is not None and extracted.kept >= 0.9
    headings = [extracted.text[h.start : h.end] for h in extracted.headings]
    assert "1.1.1. dpkg-dev" in headings and "1.1. Core tools" in headings
    titles = {title for _, title in document_chunks(extracted, "tools")}
    path = ["1. Overview of Debian Maintainer Tools", "1.1. Core tools", "1.1.1. dpkg-dev"]
    assert TITLE_SEPARATOR.join(path) in titles


def test_a_page_of_version_numbers_and_no_date_is_undated() -> None:
    # htmldate, through trafilatura's metadata, dated this page 2010-02-01 from its body; it says no date
    document = read_document(DEVREF / "tools.html", 10**7)
    assert document.extracted.date is None
    assert dated(document.text, "tools.html", document.extracted.title, document.extracted.date) == ""


def test_a_groff_manual_page_keeps_each_option_with_its_definition_and_its_name_line_is_its_title() -> None:
    extracted = read_document(MANUALS / "cat.groff.html", 10**7).extracted
    assert extracted.title == CAT_SUMMARY
    assert extracted.kept is not None and extracted.kept >= 0.9
    lines = extracted.text.split("\n")
    assert "-b, --number-nonblank — number nonempty output lines, overrides -n" in lines
    assert "-e — equivalent to -vE" in lines  # groff sets a short option in a table beside its text
    assert "NAME SYNOPSIS" not in extracted.text  # the page's menu of its sections is not text
    synopsis = extracted.text.index("cat [OPTION]... [FILE]...")
    assert extracted.in_code(synopsis, synopsis + len("cat [OPTION]... [FILE]..."))


def test_a_chromium_printed_manual_keeps_its_definition_list_and_heading_hierarchy() -> None:
    extracted = read_document(MANUALS / "cat.man2html.pdf", 10**7).extracted
    assert extracted.title == CAT_SUMMARY
    assert extracted.kept is not None and extracted.kept >= 0.9
    lines = extracted.text.split("\n")
    assert "-A, --show-all — equivalent to -vET" in lines
    assert "-v, --show-nonprinting — use ^ and M- notation, except for LFD and TAB" in lines
    levels: dict[str, int] = {}
    for heading in extracted.headings:  # (the page's index of its sections follows them, in capitals)
        levels.setdefault(extracted.text[heading.start : heading.end], heading.level)
    assert levels["CAT"] == 1 and levels["DESCRIPTION"] == 2 and levels["SEE ALSO"] == 2
    assert extracted.date is None  # the browser stamps when it printed, not when the page was written
    assert not any("Return to Main Contents" in line and "/" in line for line in lines)


def test_a_word_file_keeps_its_term_table_rows_and_heading_styles() -> None:
    extracted = read_document(MANUALS / "cat.groff.docx", 10**7).extracted
    lines = extracted.text.split("\n")
    assert "-e — equivalent to -vE" in lines and "--help — display this help and exit" in lines
    assert "-E, --show-ends — display $ at end of each line" in lines  # an option's paragraph above its text
    levels = {extracted.text[h.start : h.end].strip(): h.level for h in extracted.headings}
    assert levels["CAT"] == 1 and levels["DESCRIPTION"] == 2
    assert extracted.title == CAT_SUMMARY and extracted.kept is not None and extracted.kept >= 0.9


def test_qa_show_accepts_the_citation_of_every_passage_of_a_pdf_and_an_html_corpus(manuals_index: Settings) -> None:
    store = Store(manuals_index)
    sources = {}
    checked = 0
    for chunk in store.all_chunks():
        source = sources.setdefault(chunk.source, load_source(chunk.source))
        for start in chunk.sentence_starts or (chunk.start,):
            citation = source.citation(display_path(chunk.source), chunk.source, start, start + 1)
            cited = f"{chunk.source}:{f'p{citation.page}:' if citation.page else ''}{citation.line}"
            shown = show(cited, store)
            assert not shown.from_index
            marked = " ".join(" ".join(line[2:].split()) for line in shown.lines if line.startswith("> "))
            assert " ".join(source.text[start : start + 30].split("\n")[0].split()) in marked, cited
            checked += 1
    assert checked > 100 and any(source.extracted.pages for source in sources.values())


def test_the_evals_check_a_pdf_or_web_page_citation_against_its_canonical_text(manuals_index: Settings) -> None:
    answer = Assistant.open(manuals_index).ask("which option of cat numbers nonempty output lines?")
    files = FileTexts()
    cited = [passage for passage in answer.passages if not passage.citation.path.endswith(".docx")]
    assert cited and all(citation_problem(p.citation, files, p.text) is None for p in cited)
    assert any(p.citation.page for p in cited) or any(p.citation.path.endswith(".html") for p in cited)


def test_a_synopsis_is_never_the_answer_and_every_passage_carries_the_name_line(manuals_index: Settings) -> None:
    answer = Assistant.open(manuals_index).ask("what is cat for?")
    assert answer.passages and not answer.abstained
    for passage in answer.passages:
        assert passage.title.startswith(CAT_SUMMARY)  # the page's one-line summary, shown with each passage
        if passage.answer_offsets:
            start, end = passage.answer_offsets
            assert "[OPTION]" not in passage.text[start:end] and "[,OPTION/]" not in passage.text[start:end]
            assert "User Commands" not in passage.text[start:end]  # nor the page's header above its NAME


def test_an_option_answer_shows_the_option(manuals_index: Settings) -> None:
    answer = Assistant.open(manuals_index).ask("which option of cat numbers nonempty output lines?")
    assert not answer.abstained
    assert "-b, --number-nonblank" in answer.passages[0].text


def test_a_page_line_read_out_of_order_is_still_cited_and_shown() -> None:
    # PDFium read a line set high on page 1 (line 1) after the text below it: the page's line table
    # does not rise, and every line of the page must still be found from its citation
    text = "First body line.\n\nSecond body line.\n\nA heading read last"
    lines = ((0, 1, 20), (18, 1, 21), (37, 1, 1))
    extracted = Extracted(text, pages=(0,), lines=lines, structured=True)
    for start, page, line in lines:
        assert extracted.place_of(start) == (page, line)
        assert extracted.offset_of(page, line) == start
    assert extracted.offset_of(1, 22) is None


def test_ingest_v_prints_each_files_kept_share_and_the_summary_names_a_file_below_90_percent(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    shutil.copytree(MANUALS, folder, ignore=shutil.ignore_patterns("README.md", "devref", "*.pdf", "*.docx"))
    shutil.copy(DATA / "gnuplot" / "node44.html", folder)  # a page of tables of functions under a paragraph
    result = run_qa("ingest", "-v", "--index", str(tmp_path / "index"), str(folder))
    assert result.returncode == 0, result.stderr
    shown = {line.split()[1].rsplit("/", 1)[-1]: line for line in result.stdout.splitlines() if "kept" in line
             and line.startswith("  ")}
    assert "kept 100% of its words (whole page)" in shown["cat.groff.html"]  # the groff page read whole
    assert "kept 58% of its words" in shown["node44.html"]
    assert "Kept less than 90% of the words of 1 file(s): " in result.stdout and "node44.html (58%)" in result.stdout
