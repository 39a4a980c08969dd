"""Ingest work is in proportion to what changed, BM25 included; an interrupted ingest keeps what it
finished; BM25 kept in segments scores exactly as one index built from scratch; and the question
path never imports torch."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from config.settings import PROJECT_ROOT, Settings
from index.ingest import ingest, lexical_text
from index.lexical import BASE_FORM, LexicalIndex, bm25_dir, tokenize
from index.store import Store
from tests.conftest import CORPUS
from tests.test_cli import _many_documents, _stored_vectors, run_qa

QUESTIONS = ["when were talks suspended?", "who led the Cuban delegation?", "migration accords coast guard",
             "how many visas a year", "Havana embassy reopened"]


def test_terms_are_those_bm25s_makes() -> None:
    """bm25s's terms, its stemmer given the base form of an irregular verb ("led" is "lead")."""
    import bm25s
    import Stemmer

    class BaseFormStemmer:
        def __init__(self) -> None:
            self.english = Stemmer.Stemmer("english")

        def stemWords(self, words: list[str]) -> list[str]:  # PyStemmer's name
            return self.english.stemWords([BASE_FORM.get(w, w) for w in words])

    texts = [path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.txt"))]
    texts += ["", "The U.S. Coast Guard's 2,000 intercepts—in Havana, Cuba's capital, 1994–95!", "ça coûte 5€; naïve"]
    expected = bm25s.tokenize(texts, stopwords="en", stemmer=BaseFormStemmer(), return_ids=False, show_progress=False)
    assert tokenize(texts) == [list(chunk) for chunk in expected]
    assert tokenize(["Who leads the talks?", "Alex Lee led the talks, which were held in Havana."]) == [
        ["who", "lead", "talk"], ["alex", "lee", "lead", "talk", "which", "were", "hold", "havana"]]


def test_a_one_letter_option_is_a_term_of_its_own() -> None:
    """ "What does grep -v do?" finds the line that names -v: bm25s would keep only "grep"."""
    assert tokenize(["What does grep -v do?", "-v, --invert-match: select non-matching lines; x-y -1 a-b -V"]) == [
        ["what", "doe", "grep", "-v", "do"], ["-v", "invert", "match", "select", "non", "match", "line", "-V"]]


def bm25s_scores(texts: list[str], query: str) -> np.ndarray:
    """The scores bm25s gives `query` over an index of `texts` built from scratch."""
    import bm25s

    retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    retriever.index(tokenize(texts), show_progress=False)
    return np.asarray(retriever.get_scores(tokenize([query])[0]))


def test_bm25_after_edits_scores_as_an_index_built_from_scratch(tmp_path: Path, corpus_copy: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(index=str(tmp_path / "index"))
    ingest([corpus_copy], settings, encoder)
    edited = corpus_copy / "2015-12-01-state-dept-migration-talks.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nTalks on visas resumed in Havana in the spring.\n",
                      encoding="utf-8")
    (corpus_copy / "2010-voa-advancing-the-dialogue-with-cuba.txt").unlink()
    (corpus_copy / "new.txt").write_text("The coast guard intercepted fewer boats after the accords were signed.\n",
                                         encoding="utf-8")
    ingest([corpus_copy], settings, encoder)

    lexical = LexicalIndex.load(bm25_dir(settings))
    assert lexical is not None and len(lexical.segments) >= 1
    chunks = Store(settings).get_chunks(lexical.ids)
    assert sorted(chunks) == sorted(Store(settings).chunk_ids())  # the live ids are exactly Chroma's
    texts = [lexical_text(chunks[i]) for i in lexical.ids]  # each chunk with its title
    for question in QUESTIONS:
        ours = lexical.get_scores(tokenize([question])[0])
        assert np.allclose(ours, bm25s_scores(texts, question), rtol=1e-5, atol=1e-6), question


def test_an_edit_to_one_file_of_a_bigger_index_reindexes_only_that_file(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    docs = tmp_path / "docs"
    _many_documents(docs, 40)
    settings = Settings(index=str(tmp_path / "index"))
    first = ingest([docs, CORPUS], settings, encoder)
    edited = docs / "doc-0007.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA further meeting was set for the autumn.\n",
                      encoding="utf-8")
    before = encoder.texts_encoded
    report = ingest([docs, CORPUS], settings, encoder)
    own = Store(settings).file_records()[str(edited)].chunks
    assert report.changed == [str(edited)] and len(report.unchanged) == 44
    assert encoder.texts_encoded - before == report.chunks_embedded == own
    assert report.chunks_tokenized == own < first.chunks_total / 10  # BM25 tokenized that file's chunks only
    assert report.chunks_total == first.chunks_total - own + own

    again = ingest([docs, CORPUS], settings, encoder)
    assert again.chunks_embedded == again.chunks_tokenized == 0


def test_ctrl_c_keeps_what_was_stored_and_says_so(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    _many_documents(docs, 160)
    index = tmp_path / "index"
    process = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "ingest", str(docs), "--index", str(index)],
        env={**os.environ, "QA_INGEST_WINDOW": "32"}, cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # as a terminal delivers it: a run started in the background (`cmd &`) inherits SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 240
    # chunk and file vectors both count: past 100, at least two windows are stored
    while _stored_vectors(index) < 100 and time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert process.poll() is None, "ingest finished before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    found = re.search(r"kept ([\d,]+) of ([\d,]+) chunks; run again to finish", stderr)
    assert found, stderr
    kept, total = (int(n.replace(",", "")) for n in found.groups())
    assert 32 <= kept < total

    answered = run_qa("ask", "--json", "--index", str(index), stdin="when were talks suspended?\n")
    assert answered.returncode == 0 and json.loads(answered.stdout)["passages"], answered.stderr
    resumed = run_qa("ingest", str(docs), "--index", str(index))
    assert resumed.returncode == 0, resumed.stderr
    embedded = int(re.search(r"(\d+) chunks embedded", resumed.stdout).group(1))  # type: ignore[union-attr]
    assert embedded == total - kept  # nothing kept is embedded again


@pytest.mark.parametrize("command", ["ask", "app"])
def test_the_question_path_imports_neither_torch_nor_sentence_transformers(command: str, corpus_settings) -> None:  # type: ignore[no-untyped-def]
    if command == "ask":
        run = ("from qa.cli import main; "
               f"code = main(['ask', '--json', '--index', {corpus_settings.index!r}, 'when were talks suspended?'])")
    else:  # the app opened headless, ready, then asked two questions
        run = ("from evals.app_speed import measure; from config.settings import Settings; "
               f"code = measure(Settings(index={corpus_settings.index!r}), 2)")
    code = (f"import sys\n{run}\n"
            "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]\n"
            "print(json.dumps({'code': code, 'heavy': heavy}) if (json := __import__('json')) else '')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT,
                            env={**os.environ, "NO_COLOR": "1"}, timeout=300)
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"code": 0, "heavy": []}, result.stderr
