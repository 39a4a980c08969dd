"""Documents read once: the ingest keeps each file's canonical text in the index, and answering reads it
from there, never importing an extractor; a changed file is still stale, an older index still answers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import PROJECT_ROOT, Settings
from index.ingest import ingest
from index.store import Store
from index.texts import TEXTS, CanonicalTexts
from tests.made_files import DATA, PAGE_THREE_SENTENCE, make_memo_docx, make_report_pdf
from tests.test_server import chroma_server as chroma_server  # a real `chroma run`, as a fixture

# a question each file of the folder answers, and the file
QUESTIONS = {"how long will the bridge repairs take?": "bridge-news.html",
             "how many passengers did the ferry carry?": "report.pdf",
             "how much will the repairs cost?": "memo.docx"}
# asks in a new process, as `qa ask` and `qa show` do, and says which extractor modules it imported
ASK = """
import json, sys
from config.settings import Settings
from qa.engine import Assistant

LIBRARIES = ("trafilatura", "justext", "htmldate", "lxml", "pypdfium2", "docx", "pytesseract")
assistant = Assistant.open(Settings(index=sys.argv[1]))
answers = []
for question in sys.argv[2:]:
    answer = assistant.ask(question)
    first = answer.passages[0] if answer.passages else None
    answers.append({"source": first and first.citation.path, "text": first and first.text,
                    "shown": first and assistant.show(first.citation).cited, "stale": list(answer.stale)})
extractors = sorted(m for m in sys.modules if m.split(".")[0] in LIBRARIES
                    or (".formats." in m and m.rsplit(".", 1)[-1] in ("html", "pdf", "docx", "ocr")))
print(json.dumps({"answers": answers, "extractors": extractors}))
"""


def ask_in_new_process(index: str, *questions: str) -> dict:  # type: ignore[type-arg]
    """The answers to `questions` from `index`, asked by a new Python process, and the extractor
    modules that process imported."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", ASK, index, *questions], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """A web page, a PDF made by reportlab and a Word file made by python-docx."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(DATA / "bridge-news.html", folder)
    make_report_pdf(folder / "report.pdf")
    make_memo_docx(folder / "memo.docx")
    return folder


def assert_answered_from(result: dict, folder: Path) -> None:  # type: ignore[type-arg]
    """Each question answered from its own file, quoted from its text and shown by `qa show`."""
    for answer, wanted in zip(result["answers"], QUESTIONS.values(), strict=True):
        assert answer["source"] == str(folder / wanted) and not answer["stale"], answer
        assert answer["text"].split()[0] in answer["shown"]
    assert PAGE_THREE_SENTENCE in result["answers"][1]["text"]


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def test_asking_over_web_pages_pdfs_and_word_files_imports_no_extractor_and_writes_nothing(
        tmp_path: Path, mixed_folder: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    index = tmp_path / "index"
    ingest([mixed_folder], Settings(index=str(index)), encoder)
    result = ask_in_new_process(str(index), *QUESTIONS)
    assert_answered_from(result, mixed_folder)
    assert result["extractors"] == []  # trafilatura, pypdfium2, python-docx: none loaded to answer
    # an index folder mounted read-only answers the same, and nothing in it changes
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    if not (_mount("--bind", str(index), str(read_only)) and _mount("-o", "remount,bind,ro", str(read_only))):
        subprocess.run(["umount", str(read_only)], capture_output=True)
        pytest.skip("mounting needs root")
    try:
        before = sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in index.rglob("*"))
        again = ask_in_new_process(str(read_only), *QUESTIONS)
        assert again["answers"] == result["answers"] and again["extractors"] == []
        assert sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in index.rglob("*")) == before
    finally:
        subprocess.run(["umount", str(read_only)], capture_output=True)


def test_a_changed_file_is_stale_and_read_again_while_the_others_come_from_the_index(
        tmp_path: Path, mixed_folder: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    index = str(tmp_path / "index")
    ingest([mixed_folder], Settings(index=index), encoder)
    import docx

    memo = mixed_folder / "memo.docx"
    edited = docx.Document(str(memo))
    edited.paragraphs[1].insert_paragraph_before("A new first paragraph moves every later word of the memo.")
    edited.save(str(memo))
    result = ask_in_new_process(index, *QUESTIONS)
    html, pdf, changed = result["answers"]
    assert changed["stale"] == [str(memo)]  # never quoted from where its words no longer are
    assert changed["source"] != str(memo)
    for unchanged, name in ((html, "bridge-news.html"), (pdf, "report.pdf")):  # the memo may be read for them too
        assert unchanged["source"] == str(mixed_folder / name) and set(unchanged["stale"]) <= {str(memo)}
    # only the changed file was read again: its extractor alone was imported
    libraries = {m.split(".")[0] for m in result["extractors"]}
    assert "docx" in libraries and not libraries & {"trafilatura", "pypdfium2", "lxml_html_clean", "justext"}


def test_an_index_made_before_texts_were_kept_answers_and_the_next_ingest_keeps_them(
        tmp_path: Path, mixed_folder: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(index=str(tmp_path / "index"))
    ingest([mixed_folder], settings, encoder)
    import chromadb

    client = chromadb.PersistentClient(path=settings.index)
    if TEXTS in [c.name for c in client.list_collections()]:
        client.delete_collection(TEXTS)  # as an index written before every text was kept
    old = ask_in_new_process(settings.index, *QUESTIONS)
    assert_answered_from(old, mixed_folder)  # each file read again, as before: the same answers
    assert {"trafilatura", "pypdfium2", "docx"} <= {m.split(".")[0] for m in old["extractors"]}
    report = ingest([mixed_folder], settings, encoder)
    assert report.texts_kept == 3 and report.chunks_embedded == 0 and len(report.unchanged) == 3
    assert "Kept the text of 3 unchanged files" in report.texts_summary()
    new = ask_in_new_process(settings.index, *QUESTIONS)
    assert new["answers"] == old["answers"] and new["extractors"] == []


def test_texts_reach_a_client_of_a_chroma_server(
        chroma_server: str, mixed_folder: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(index=chroma_server)
    ingest([mixed_folder], settings, encoder)
    kept = CanonicalTexts(Store(settings))
    assert len(kept.held()) == 3
    result = ask_in_new_process(chroma_server, *QUESTIONS)
    assert_answered_from(result, mixed_folder)
    assert result["extractors"] == []
