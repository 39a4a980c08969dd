"""The held-out timeline check (`qa bench timeline`): its corpus is real Debian changelog entries,
each saved as one file whose date the ingest finds, and its gold pairs are the entries' fields."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from config.settings import Settings
from evals.changelogs import DOC_ROOT, installed_changelogs, parse_changelog, read_entries, timeline_cases, write_corpus
from evals.timeline_heldout import date_figures, main
from index.embedding import Encoder
from index.ingest import ingest

LESS = DOC_ROOT / "less" / "changelog.Debian.gz"


@pytest.mark.skipif(not LESS.is_file(), reason=f"{LESS} is not installed here (apt-get install less)")
def test_each_entry_is_one_file_the_ingest_dates_by_the_entry_and_the_gold_pairs_are_its_fields(
        tmp_path: Path, encoder: Encoder) -> None:
    entries, _ = read_entries(LESS, limit=4)
    written = write_corpus(entries, tmp_path / "corpus")
    assert len(written) == 4
    changelog = gzip.decompress(LESS.read_bytes()).decode("utf-8")
    for path, entry in written.items():
        saved = path.read_text(encoding="utf-8")
        assert saved == f"{entry.heading}\n\n{entry.text}" and entry.text in changelog  # verbatim
        assert entry.iso not in path.name  # the date is the text's, not the file name's
    settings = Settings(index=str(tmp_path / "index"))
    ingest([tmp_path / "corpus"], settings, encoder)
    from qa.engine import Assistant

    dates = date_figures(Assistant.open(settings, encoder=encoder), written)
    assert dates == {"documents": 4, "indexed": 4, "dated": 4, "dated_right": 4}
    uploaders = {held.case.question: held.case.pairs for held in timeline_cases(entries) if held.kind == "uploader"}
    assert uploaders == {"who uploaded less?": tuple(sorted({(e.iso, e.uploader) for e in entries}))}


def test_an_entry_without_a_readable_trailer_is_counted_not_dropped_silently() -> None:
    text = ("tool (1.1-1) unstable; urgency=medium\n\n  * New upstream release.\n\n"
            " -- Ann Smith <ann@example.org>  Mon, 06 Jan 2020 10:00:00 +0000\n\n"
            "tool (1.0-2) unstable; urgency=low\n\n  * Fix the build.\n\n"
            " -- Bob Jones <bob@example.org>  sometime in 2019\n\n"
            "tool (1.0-1) unstable; urgency=low\n\n  * Initial release.\n")
    entries, unreadable = parse_changelog(text)
    assert [(e.version, e.uploader, e.iso, e.day_written) for e in entries] == [
        ("1.1-1", "Ann Smith", "2020-01-06", "06 Jan 2020")]
    assert unreadable == 2


def test_a_package_not_installed_gets_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert "no-such-package" not in installed_changelogs()[0]
    assert main(["--packages", "no-such-package"]) == 1
    err = capsys.readouterr().err
    assert "no-such-package" in err and "Traceback" not in err
