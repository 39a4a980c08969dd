"""The eval runner: metrics against hand-computed values, miss explanations on a question built to
fail, the gate's exit status, and calibration writing the settings file."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from config.settings import load_settings
from evals import metrics
from evals.known import Asked, FileTexts, citation_problem, load_set
from evals.metrics import Outcome
from evals.misses import explain_miss, locate_gold
from evals.run import build_parser, run
from qa.passages import Citation

DATA = Path(__file__).parent / "data"


def outcomes() -> list[Outcome]:
    """The five hand-scored outcomes of tests/data/eval_outcomes.jsonl."""
    rows = [json.loads(line) for line in (DATA / "eval_outcomes.jsonl").read_text().splitlines()]
    return [
        Outcome(
            answers=tuple(r["answers"]), sources=tuple(r["sources"]), passages=tuple(r["passages"]),
            cited=tuple(tuple(c) for c in r["cited"]), abstained=r["abstained"], confidence=r["confidence"],
            seconds=r["seconds"], citations_checked=r["citations_checked"], citations_valid=r["citations_valid"],
        )
        for r in rows
    ]


# ---- metrics, by hand ---------------------------------------------------------------------------------
def test_answer_figures_match_hand_computed_values() -> None:
    got = outcomes()
    # Answerable: #1 holds "July 2009" in passage 1 (case and white space differ), #2 "Havana" in
    # passage 2, #3 nowhere. Unanswerable #4 and #5 do not count.
    assert [metrics.answer_rank(o, 3) for o in got[:3]] == [1, 2, None]
    assert metrics.answer_at(got, 1) == pytest.approx(1 / 3)
    assert metrics.answer_at(got, 3) == pytest.approx(2 / 3)
    assert metrics.mean_reciprocal_rank(got, 3) == pytest.approx((1 + 1 / 2 + 0) / 3)
    assert metrics.mean_reciprocal_rank(got, 1) == pytest.approx(1 / 3)
    # Source recall: #1 cites a.txt (1/1); #2 cites b.txt of b,c (1/2); #3 cites c.txt only through
    # the also_in of passage 3 (1/1); at k=1 only #1 has its source.
    assert metrics.mean_source_recall(got, 3) == pytest.approx((1 + 0.5 + 1) / 3)
    assert metrics.mean_source_recall(got, 1) == pytest.approx(1 / 3)
    assert metrics.citation_validity(got) == pytest.approx(10 / 11)


def test_the_first_card_counts_the_title_line_its_passage_is_shown_under() -> None:
    # A changelog item says what changed; the version it changed in is the heading above it, which the
    # card's title line shows: the card holds "2.1.0", the passage alone does not.
    item = Outcome(answers=("2.1.0",), sources=("CHANGES.md",), passages=("Dropped support for Python 3.5.",),
                   cited=(("CHANGES.md",),), abstained=False, confidence=0.3,
                   titles=("Changelog › 2.1.0 (2021-03-08) › Removed",))
    elsewhere = Outcome(answers=("2.1.0",), sources=("CHANGES.md",), passages=("Dropped support for Python 3.5.",
                        "2.1.0 (2021-03-08)"), cited=(("CHANGES.md",), ("CHANGES.md",)), abstained=False,
                        confidence=0.3, titles=("Changelog › 2.0.0 (2020-11-02) › Removed", "Changelog"))
    assert (metrics.answer_at([item], 1), metrics.card_at_1([item])) == (0.0, 1.0)
    assert (metrics.answer_at([elsewhere], 3), metrics.card_at_1([elsewhere])) == (1.0, 0.0)  # only the first card
    assert metrics.card_at_1(outcomes()) == pytest.approx(1 / 3)  # no titles: the first passage alone


def test_abstention_and_latency_match_hand_computed_values() -> None:
    got = outcomes()
    held = metrics.abstention([o.abstained for o in got], [not o.answerable for o in got])
    # Abstained on #3 (answerable: wrong) and #4 (unanswerable: right); #5 unanswerable, answered.
    assert (held.precision, held.recall, held.wrongly_abstained) == (0.5, 0.5, pytest.approx(1 / 3))
    assert (held.answerable, held.unanswerable) == (3, 2)
    seconds = [o.seconds for o in got]
    assert metrics.percentile(seconds, 0.5) == pytest.approx(0.03)
    assert metrics.percentile(seconds, 0.95) == pytest.approx(0.04 + 0.8 * (0.1 - 0.04))
    assert metrics.abstention([False, False], [False, False]).precision is None  # nothing abstained: n/a


def test_calibration_picks_the_threshold_its_rule_describes() -> None:
    # 20 answerable: one at 0.1, so 5 % may be abstained and the cap is the next one, 0.5; that
    # catches the unanswerable 0.2 and 0.3, and the threshold sits between 0.3 and 0.5.
    answerable = [0.1] + [0.5] * 19
    assert metrics.choose_abstain_threshold(answerable, [0.2, 0.3, 0.7]) == pytest.approx(0.4)
    # The five outcomes: no answerable may be abstained (5 % of 3 rounds down to 0), so only the
    # unanswerable 0.05 is caught, below the lowest answerable 0.1.
    assert metrics.choose_abstain_threshold([0.6, 0.4, 0.1], [0.05, 0.5]) == pytest.approx(0.075)
    assert metrics.choose_abstain_threshold([0.6, 0.4, 0.1], [0.05, 0.5], 0.67) == pytest.approx(0.55)
    assert metrics.choose_abstain_threshold([0.6, 0.4], [0.7]) == 0.0  # nothing to catch: never abstain


def test_separation_is_the_chance_an_answerable_question_outscores_an_unanswerable_one() -> None:
    # Pairs (a, u): (0.6, 0.05) win, (0.6, 0.5) win, (0.4, 0.05) win, (0.4, 0.5) loss,
    # (0.1, 0.05) win, (0.1, 0.5) loss; a tie would count half.
    assert metrics.separation([0.6, 0.4, 0.1], [0.05, 0.5]) == pytest.approx(4 / 6)
    assert metrics.separation([0.2], [0.2]) == 0.5
    assert metrics.separation([], [0.2]) is None


def test_roc_auc_equals_the_share_of_pairs_won_counted_one_by_one() -> None:
    rng = random.Random(7)
    for _ in range(200):
        positive = [rng.choice([0.1, 0.2, 0.3, -math.inf, rng.random()]) for _ in range(rng.randint(1, 25))]
        negative = [rng.choice([0.1, 0.2, rng.random()]) for _ in range(rng.randint(1, 25))]
        pairs = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
        assert metrics.roc_auc(positive, negative) == pytest.approx(pairs / (len(positive) * len(negative)))
    assert metrics.roc_auc([0.3], []) is None


def test_leave_one_out_scores_each_question_by_a_threshold_fitted_without_it() -> None:
    # Without answerable 0.1 the threshold rises to (0.05 + 0.4) / 2 and abstains on it; without
    # unanswerable 0.05 there is nothing to catch; without 0.5 it stays at 0.075.
    held = metrics.leave_one_out([0.6, 0.4, 0.1], [0.05, 0.5])
    assert (held.precision, held.recall, held.wrongly_abstained) == (0.0, 0.0, pytest.approx(1 / 3))


# ---- citations against files ---------------------------------------------------------------------------
def test_citations_are_checked_against_the_file_text_and_line() -> None:
    path = str(DATA / "cited.txt")
    text = (DATA / "cited.txt").read_text()
    start = text.index("the talks")
    end = text.index(".", start) + 1
    files = FileTexts()
    assert citation_problem(Citation("cited.txt", path, 2, start, end), files, text[start:end]) is None
    assert "does not hold" in str(citation_problem(Citation("cited.txt", path, 2, start, end), files, "other words"))
    assert "not 3" in str(citation_problem(Citation("cited.txt", path, 3, start, end), files, text[start:end]))
    assert "outside" in str(citation_problem(Citation("cited.txt", path, 2, start, 10**6), files))
    assert "cannot be re-read" in str(citation_problem(Citation("gone.txt", path + ".gone", 1, 0, 1), files))


# ---- why a question missed -------------------------------------------------------------------------------
def test_a_question_built_to_fail_is_explained_with_its_real_ranks(assistant, encoder) -> None:  # type: ignore[no-untyped-def]
    (known,) = load_set(DATA / "built_to_fail.jsonl")
    answer = assistant.ask(known.question, top_k=3)
    miss = explain_miss(Asked(known, answer, 0, []), 0.0, assistant, 3)
    assert miss is not None and miss.cause == "no chunk holds an answer"
    why = miss.line
    assert why.startswith("wrong-source: [no chunk holds an answer]")
    assert "answer in none of the" in why and "2022-04-20-news-americas-migration-talks.txt" in why
    assert "not abstained" in why

    place = locate_gold(assistant, answer.query, known)
    assert place is not None and not place.holds_answer
    # The ranks the line names are the real ones: dense against a brute-force cosine ranking of
    # every chunk, BM25 against a full BM25 ranking, fused against the retriever's own order.
    stored = assistant.store.chunks.get(include=["embeddings"])
    similarity = np.asarray(stored["embeddings"]) @ encoder.encode([answer.query])[0]
    mine = similarity[stored["ids"].index(place.chunk)]
    assert place.dense == 1 + int(np.sum(similarity > mine + 1e-6))
    bm25 = [key for key, _ in assistant.lexical.search(answer.query, assistant.store.count())]
    assert place.lexical == (bm25.index(place.chunk) + 1 if place.chunk in bm25 else None)
    fused = [c.chunk.id for c in assistant.retriever.search(answer.query, k=1000)]
    assert place.fused == (fused.index(place.chunk) + 1 if place.chunk in fused else None)
    lexical = f"BM25 #{place.lexical}" if place.lexical else "BM25 no match"
    assert f"{lexical}, dense #{place.dense}, fused #{place.fused}" in why


def test_the_abstain_threshold_is_named_when_it_drops_a_right_answer(assistant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    question = "who led the cuban delegation in july 2014?"
    answer = assistant.ask(question, top_k=3)
    first_words = " ".join(answer.passages[0].text.split()[:4])
    case = {"id": "dropped", "question": question, "answers": [first_words],
            "sources": ["corpus/2014-07-voa-us-committed-to-legal-cuban-migration.txt"]}
    (tmp_path / "dropped.jsonl").write_text(json.dumps(case) + "\n")
    (known,) = load_set(tmp_path / "dropped.jsonl")
    asked = Asked(known, answer, 0, [])
    assert explain_miss(asked, 0.0, assistant, 3) is None  # passage 1 holds it, nothing withheld
    miss = explain_miss(asked, 2.0, assistant, 3)
    assert miss is not None and miss.line == (f"dropped: [abstained] passage 1 holds the answer, but abstained "
                   f"(confidence {answer.confidence:.3f} < threshold 2.000)")


# ---- the command ---------------------------------------------------------------------------------------
def test_qa_eval_exits_non_zero_and_names_the_breached_threshold(corpus_settings, capsys) -> None:  # type: ignore[no-untyped-def]
    from cli import main

    code = main(["eval", str(DATA / "built_to_fail.jsonl"), "--index", corpus_settings.index,
                 "--thresholds", str(DATA / "impossible_thresholds.toml")])
    out = capsys.readouterr().out
    assert code == 1
    assert "gate FAILED" in out and "answer_at_1 = 0.0 % is below its minimum 101.0 %" in out
    assert "wrong-source: [no chunk holds an answer]" in out


def test_bad_question_files_get_one_line_and_exit_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from evals.run import main

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"question": "when?", "answers": ["2003"], "sources": ["corpus/nope.txt"]}\n')
    assert main([str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "broken.jsonl:1: source corpus/nope.txt does not exist" in err
    broken.write_text("{not json\n")
    assert main([str(broken)]) == 2
    assert "broken.jsonl:1: not JSON" in capsys.readouterr().err
    assert main([str(DATA / "calibration_set.jsonl"), "--thresholds", str(tmp_path / "none.toml")]) == 2
    assert "no such thresholds file" in capsys.readouterr().err


def test_calibrate_writes_the_threshold_it_reports_into_the_settings_file(corpus_settings, encoder, capsys) -> None:  # type: ignore[no-untyped-def]
    args = build_parser().parse_args([str(DATA / "calibration_set.jsonl"), "--index", corpus_settings.index,
                                      "--calibrate", "--json"])
    assert run(args, encoder=encoder) == 0
    report = json.loads(capsys.readouterr().out)
    chosen = report["calibration"]["threshold"]
    confidences = {True: [], False: []}  # type: ignore[var-annotated]
    for question in report["questions"]:
        confidences[question["answerable"]].append(question["confidence"])
    assert chosen == pytest.approx(metrics.choose_abstain_threshold(confidences[True], confidences[False]), abs=1e-4)
    assert report["calibration"]["fitted_on"] == {"answerable": 5, "unanswerable": 3}
    assert load_settings().abstain_threshold == chosen
    assert report["abstain_threshold"] == chosen
    assert all(q["abstained"] == (q["confidence"] < chosen) for q in report["questions"])


# ---- the speed benchmark's corpus --------------------------------------------------------------------------
def test_speed_bench_writes_one_file_per_paragraph(tmp_path: Path) -> None:
    from evals.speed import write_squad_corpus

    everything = write_squad_corpus(DATA / "squad_tiny.json", tmp_path / "all", None)
    assert (everything.paragraphs, len(everything.questions)) == (3, 4)
    files = sorted(p.name for p in (tmp_path / "all").iterdir())
    assert files == ["00-000.txt", "00-001.txt", "01-000.txt"]
    second = (tmp_path / "all" / "00-001.txt").read_text()
    assert second == "# Super Bowl 50\n\nThe game was played on February 7, 2016.\n"
    sample = write_squad_corpus(DATA / "squad_tiny.json", tmp_path / "two", 2)
    assert sample.paragraphs == 2 and len(list((tmp_path / "two").iterdir())) == 2


def test_speed_bench_without_squad_says_where_it_looked(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from evals.speed import main

    assert main(["--squad", str(tmp_path / "dev-v1.1.json")]) == 1
    err = capsys.readouterr().err.strip()
    missing = tmp_path / "dev-v1.1.json"
    assert err == f"qa bench speed: {missing}: SQuAD v1.1 dev set not found (put dev-v1.1.json there)"
    assert main(["--sample", "0"]) == 2


def test_a_date_without_a_year_counts_with_the_date_line_the_card_shows(assistant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "dated.jsonl").write_text(json.dumps({
        "id": "dated", "question": "what date did mayorkas give the press conference after the panama meeting?",
        "answers": ["April 20, 2022"], "sources": ["corpus/2022-04-20-news-americas-migration-talks.txt"],
        "kind": "article-date"}) + "\n", encoding="utf-8")
    (known,) = load_set(tmp_path / "dated.jsonl")
    answer = assistant.ask(known.question, top_k=3)
    first = answer.passages[0]
    assert "April 20, 2022" not in first.text and first.dated is not None and first.dated.text == "April 20, 2022"
    assert metrics.answer_rank(Asked(known, answer, 0, []).outcome(0.0), 1) == 1
