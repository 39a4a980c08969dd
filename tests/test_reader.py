"""The reading model shipped in models/reader/: it loads with no network, marks verbatim answers,
ranks the answering passage first, and its retraining command runs on a tiny sample."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa.reader import MODEL_DIR, Reader, ReaderMissing

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
# What the shipped reader (6 layers, 50 minutes on the 5,397 tune questions) does not do yet: its span scores
# put the U.S. lead (8.8) above the Cuban one (7.6) for the Cuban delegation. The test says what it must do,
# and fails loudly (strict) once it does.
NOT_YET = pytest.mark.xfail(strict=True, reason="the shipped reader prefers the U.S. lead (models/reader/README.md)")


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader.load(MODEL_DIR)


def corpus_line(name: str, number: int) -> str:
    return (CORPUS / name).read_text(encoding="utf-8").splitlines()[number - 1]


def test_the_shipped_reader_is_small_and_loads_without_torch() -> None:
    size = sum(f.stat().st_size for f in MODEL_DIR.iterdir() if f.is_file())
    assert size < 50 * 2**20
    script = ("import sys; from qa.reader import Reader; r = Reader.load(); r.read('who?', ['Ann did.']); "
              "assert 'torch' not in sys.modules, 'torch imported'")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "NO_PROXY": "*",
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, env=env, timeout=120)


@NOT_YET
def test_the_cuban_delegation_question_marks_the_cuban_lead(reader: Reader) -> None:
    passage = corpus_line("2015-12-01-state-dept-migration-talks.txt", 16).strip()
    [reading] = reader.read("who led the cuban delegation in 2015?", [passage])
    assert reading.start is not None and reading.end is not None
    marked = reading.answer_text(passage)
    assert marked == passage[reading.start : reading.end]
    assert "Vidal" in marked and "Lee" not in marked


def test_the_answering_passage_ranks_above_a_near_miss(reader: Reader) -> None:
    answering = corpus_line("2014-07-voa-us-committed-to-legal-cuban-migration.txt", 25).strip()
    near_miss = corpus_line("2015-12-01-state-dept-migration-talks.txt", 16).strip()
    unanswering, answering_reading = reader.read("When were the migration talks suspended?", [near_miss, answering])
    assert answering_reading.relevance > unanswering.relevance
    assert "2003" in (answering_reading.answer_text(answering) or "")


def test_a_question_the_passages_do_not_answer_scores_low(reader: Reader) -> None:
    passage = corpus_line("2015-12-01-state-dept-migration-talks.txt", 16).strip()
    [unrelated] = reader.read("Does a BTreeMap keep its keys in sorted order?", [passage])
    [answered] = reader.read("who led the cuban delegation in 2015?", [passage])
    assert unrelated.relevance < 0.5 < answered.relevance
    assert unrelated.answerable < answered.answerable


def test_re_ranking_puts_the_answering_passage_first_but_never_the_answer_just_given(reader: Reader) -> None:
    from qa.passages import Citation, Passage
    from qa.reader import read_passages

    near_miss = corpus_line("2015-12-01-state-dept-migration-talks.txt", 16).strip()
    answering = corpus_line("2014-07-voa-us-committed-to-legal-cuban-migration.txt", 25).strip()
    passages = [Passage(text, Citation(name, name, 1, 0, len(text)), 1.0) for name, text in
                (("a.txt", near_miss), ("b.txt", answering))]
    question = "When were the migration talks suspended?"
    kept, _ = read_passages(passages, reader, question, None, depth=2, score="relevance", prior=0.0, reranks=False)
    assert [p.citation.source for p in kept] == ["a.txt", "b.txt"]
    ranked, reading = read_passages(passages, reader, question, None, depth=2, score="relevance", prior=0.0,
                                    reranks=True)
    assert [p.citation.source for p in ranked] == ["b.txt", "a.txt"]
    assert reading is not None and "2003" in (reading.answer_text(answering) or "")
    given, _ = read_passages(passages, reader, question, None, depth=2, score="relevance", prior=0.0, reranks=True,
                             demoted=lambda p: p.citation.source == "b.txt")
    assert [p.citation.source for p in given] == ["a.txt", "b.txt"]


def test_no_passages_no_readings(reader: Reader) -> None:
    assert reader.read("who?", []) == []


def test_a_missing_reader_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(ReaderMissing, match=r"reader\.onnx.*qa train reader"):
        Reader.load(tmp_path)


@pytest.mark.training
def test_the_retraining_command_runs_on_a_tiny_sample(tmp_path: Path) -> None:
    out = tmp_path / "reader"
    done = subprocess.run([sys.executable, "-m", "models.reader.train", "--sample", "20", "--epochs", "1",
                           "--layers", "1", "--no-shown", "--out", str(out),
                           "--keep", str(tmp_path / "kept")], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"questions": 20' in done.stdout
    assert (tmp_path / "kept" / "reader.pt").is_file()  # the torch weights, to compare exports against
    trained = Reader.load(out)
    passage = "The committee met in Geneva in 1998."
    readings = trained.read("Where did the committee meet?", [passage, "Nothing here."])
    assert len(readings) == 2
    for reading, text in zip(readings, [passage, "Nothing here."], strict=True):
        assert 0.0 <= reading.relevance <= 1.0
        assert reading.start is not None and reading.end is not None
        assert 0 <= reading.start < reading.end <= len(text)


def test_the_assistant_with_its_reader_marks_the_cuban_lead(corpus_settings, encoder) -> None:  # type: ignore[no-untyped-def]
    from qa.engine import Assistant

    answer = Assistant.open(corpus_settings.replace(reader=True), encoder).ask("who led the cuban delegation in 2015?")
    first = answer.passages[0]
    assert answer.reader is not None and first.answer is not None
    assert "Vidal" in first.answer_text and "Lee" not in first.answer_text
    text = Path(first.citation.path).read_text(encoding="utf-8")
    assert first.answer_text == text[first.answer.start : first.answer.end]


def test_no_reader_turns_the_stage_off_and_the_json_says_which_answered(corpus_settings) -> None:  # type: ignore[no-untyped-def]
    import json

    def ask(*flags: str) -> dict:  # type: ignore[type-arg]
        done = subprocess.run([sys.executable, "-m", "cli", "ask", "who led the cuban delegation in 2015?", "--json",
                               "--index", corpus_settings.index, *flags], cwd=ROOT, capture_output=True, text=True,
                              timeout=300, env={**os.environ, "QA_READER": "1"})
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.splitlines()[0])

    assert ask()["reader"].startswith("reader (")
    assert ask("--no-reader")["reader"] is None


def test_the_reader_marks_only_answers_of_the_kind_asked_for(corpus_settings, encoder) -> None:  # type: ignore[no-untyped-def]
    from qa.answer_types import AnswerType, candidate_spans
    from qa.engine import Assistant

    assistant = Assistant.open(corpus_settings.replace(reader=True), encoder)
    answer = assistant.ask("when were the migration talks suspended?")
    marked = [p.answer_text for p in answer.passages if p.answer is not None]
    assert marked and answer.reader is not None
    assert all([span.start, span.end] == [0, len(text)] for text in marked
               for span in candidate_spans(AnswerType.DATE, text)[:1]), marked


def test_a_why_question_gets_the_readers_words_marked_even_when_it_is_unsure(reader: Reader) -> None:
    # The reader finds this passage answerable with probability 0.04, yet its span is the reason asked
    # for. It used to be left unmarked below 0.5; on SQuAD's tune half marking it anyway lifted span F1
    # 0.549 -> 0.586 (config.tuning reader_mark_floor). Whether to answer at all is the confidence's call.
    from qa.passages import Citation, Passage
    from qa.reader import read_passages

    text = "The United States suspended the talks in 2003, saying Cuba refused to discuss the return of its citizens."
    passage = Passage(text, Citation("notes.txt", "/notes.txt", 1, 100, 100 + len(text)), 1.0)
    [read], reading = read_passages([passage], reader, "Why did the talks stop?", None)
    assert reading is not None and reading.answerable < 0.5
    assert read.answer is not None and read.answer_text.startswith("refused to discuss")
    assert read.answer_text == text[read.answer.start - 100 : read.answer.end - 100]


def test_the_reader_moves_the_first_passage_to_the_sentence_that_answers(reader: Reader) -> None:
    # A paragraph of SQuAD's tune half (Wikipedia, "Martin Luther", CC BY-SA). The question's words
    # ("married", "Katharina", "Luther") all stand in the first sentence, which word matching puts first;
    # the age is in the last. Reading the whole chunk, the reader finds it, and the passage moves there.
    from index.documents.lines import Span
    from index.documents.sentences import split_sentences
    from qa.passages import Citation, Passage
    from qa.reader import answering_sentence

    text = (Path(__file__).parent / "data" / "luther-marriage.txt").read_text(encoding="utf-8")
    chunk = Span(text.index("Martin Luther married"), len(text.rstrip()))
    sentences = split_sentences(text, chunk.start, chunk.end)
    chosen = sentences[0]

    def cite(start: int, end: int) -> Citation:
        return Citation("luther-marriage.txt", "/luther-marriage.txt", 3, start, end)

    passage = Passage(text[chosen.start : chosen.end], cite(chosen.start, chosen.end), 1.0)
    found = answering_sentence(passage, reader, "How old was Katharina when she married Luther?", chunk, text,
                               lambda offset: next((s for s in sentences if s.start <= offset < s.end), None), cite,
                               None)
    assert found.text.startswith("At the time of their marriage") and "26 years old" in found.text, found.text
    assert found.text == text[found.citation.start : found.citation.end]
    assert found.answer is not None and "26" in text[found.answer.start : found.answer.end]
    # a passage that already holds the answer stays as it is
    last = sentences[-1]
    kept = Passage(text[last.start : last.end], cite(last.start, last.end), 1.0)
    assert answering_sentence(kept, reader, "How old was Katharina when she married Luther?", chunk, text,
                              lambda offset: None, cite, None) is kept


def test_a_mark_never_splits_a_word() -> None:
    # a user trial: the reader's word pieces marked "PID" of "SSH_AGENT_PID"
    from qa.reader import whole_words

    text = "When ssh-agent starts, it stores SSH_AGENT_PID in this variable."
    at = text.index("PID")
    span = whole_words(text, at, at + 3)
    assert text[span.start : span.end] == "SSH_AGENT_PID"
    at = text.index("ssh-agent")
    span = whole_words(text, at + 4, at + 9)  # "agent" of "ssh-agent": a hyphen parts words
    assert text[span.start : span.end] == "agent"
