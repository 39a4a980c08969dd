"""Rough edges a new user hit, each pinned by a test (issue 14)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_dev_sh_passes_the_apps_options_through() -> None:
    shown = subprocess.run(["bash", str(ROOT / "dev.sh"), "--help"], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "--index DIR|URL" in shown.stdout and "usage: tui.py" in shown.stdout


def _qa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, env={**os.environ, "NO_COLOR": "1"})


def test_an_index_path_that_is_a_file_gets_one_true_message_from_ask_and_ingest(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "index"
    not_a_folder.write_text("a file\n")
    asked, ingested = _qa("ask", "when were talks suspended?", "--index", str(not_a_folder)), \
        _qa("ingest", "--index", str(not_a_folder), "corpus")
    for result in (asked, ingested):
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert result.stderr.strip() == f"qa: index path {not_a_folder} is a file, not a directory: " \
                                         "point --index at a directory"


def test_the_empty_question_hint_names_no_topic_of_the_bundled_corpus(tmp_path: Path) -> None:
    result = _qa("ask", "  ", "--index", str(tmp_path / "elsewhere"))
    assert result.returncode != 0 and result.stderr.startswith("qa: empty question")
    corpus_words = {"cuba", "talks", "suspended", "migration", "delegation"}
    assert not corpus_words & set(result.stderr.lower().replace("?", " ").split())


def test_a_follow_up_never_leads_with_the_answer_just_given(assistant) -> None:  # type: ignore[no-untyped-def]
    from qa.conversation import Conversation

    conversation = Conversation()
    first = assistant.ask("when were the migration talks suspended?", conversation).passages[0]
    then = assistant.ask("and when were they resumed?", conversation).passages[0]
    assert (then.citation.path, then.citation.start, then.answer_text) != \
        (first.citation.path, first.citation.start, first.answer_text)
