"""Every tuned value of retrieval, answer ranking and confidence, in one frozen record, each with where
it came from. `qa bench squad --tune` searches most of them on the tune half of SQuAD v1.1 dev
(even-numbered articles) and prints the best; the figures quoted are from the commits that set them.

Each value has this one name, `TUNED.<name>`; a record that a search varies (`qa.sentences.Weights`,
`qa.retrieve.Rerank`) takes its defaults from here. The two a user may change, the retrieval pool and
the dense side's weight, live in `config.settings.Settings` instead, with where they came from.
What a value is for is said where it is used: `qa.retrieve` (fusion and re-scoring), `qa.sentences`
(`Weights`), `qa.answer` (passages and corroboration), `qa.judge` and `qa.evidence` (the confidence),
`qa.reader`. A value not tuned, chosen by hand, says so.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuned:
    """The tuned values (see the module docstring); `TUNED` is the one instance."""

    # ---- retrieval (qa.retrieve.HybridRetriever) ----
    # z-score of each side over the pool: the best normalisation of `qa bench squad --tune`
    # (zscore, minmax, max, RRF k=5/20/60 tried).
    fusion: str = "zscore"
    # The first 30 fused chunks add 0.3 × their best single sentence's z-scored similarity: SQuAD
    # tune sample R@1 0.803 -> 0.813, MRR 0.868 -> 0.875 (commit 0e5967e); deeper than 30 changed
    # nothing on the tune half.
    sentence_weight: float = 0.3
    sentence_depth: int = 30
    # The first 20 fused chunks are re-scored by their best sentence's idf-weighted term coverage
    # (× 3.0) and word-pair share (× 3.0), z units: `qa bench squad --tune` ("rerank"). Searched again on
    # 2026-12-05 once BM25 read questions without function words, the grid widened past its old edge
    # (2.0 / 1.5 then, 3.0 / 2.0 its corner): tune half, 1,500 questions, R@1 0.835 -> 0.847 by the search's
    # own count; held-out half 0.871 -> 0.883, MRR 0.917 -> 0.924, answer@1 0.862 either way; `qa eval`
    # and the trial folders unchanged.
    rerank_depth: int = 20
    rerank_coverage: float = 3.0
    rerank_bigrams: float = 3.0

    # ---- answers over time (qa.timeline, qa.engine) ----
    # Passages looked at for a timeline, one entry per document: chosen by hand (the bundled
    # corpus's five documents and SQuAD's paragraphs fit in 8).
    timeline_depth: int = 8
    # Without the reader, a passage joins the timeline when its text and its document's name, title
    # and date lack at most this idf-weighted share of the question's content words. Chosen by hand
    # (half: a paraphrase of one of two words is allowed); not tuned on the timeline eval.
    timeline_max_lacking: float = 0.5

    # ---- answer ranking (qa.sentences.Weights, qa.answer) ----
    # Sentence score weights. First searched on SQuAD alone (`qa bench squad --tune`, "sentences", answer@1
    # on 2,000 tune questions): chunk 0, coverage 1, pairs 0.25, shape 0.1, context 1, dense 1 (commit
    # 5207c21), the sentence's own similarity 0.25 (commit cd90b44). Searched again on 2026-12-07 on the
    # natural dev half (278 answerable questions) and SQuAD's tune half (1,500) together, each set counting
    # the same (`python -m evals.natural.tune`: the best sentence's passage holding an answer), the dense
    # side weighing more: the sentence's own similarity 0.25 -> 1.0 and shape 0.1 -> 0.2 give natural dev
    # 0.489 -> 0.532 and SQuAD tune 0.815 -> 0.817 by the search's count. Its best (similarity 2.0, the
    # chunk's 0.5: 0.543 / 0.819) put the answer first for 2 fewer `qa eval` questions and failed its gate
    # (abstention recall 50.0 % once recalibrated); 1.0 with the chunk's kept at 1 passes it (81.2 % first).
    # Whole runs with the reader: natural dev first 0.507 -> 0.536, top3 0.705 -> 0.709.
    # Searched once more on 2026-12-07 (natural dev 278, SQuAD tune 500 of its questions; the same script),
    # once questions for a default or a limit asked for a number: in use 0.540 / 0.816; the similarity 2.0
    # with the chunk's 0.5 gives 0.561 / 0.824 by the search's count, a whole dev run with the reader first
    # 0.550 -> 0.565 but top3 0.799 -> 0.788, and `qa eval` 81.2 % -> 76.5 % first, its wrong abstentions
    # 4.5 % -> 7.2 % (the gate fails): not taken. The best mean (coverage 2, pairs 0, dense 2, similarity 3:
    # 0.583 / 0.808) costs SQuAD. The values stay; this record says which data chose each.
    # The passage's share of the question's terms beside the sentence's own (`passage`: the heading over a
    # definition, the sentence an explanation runs on to, as the passage shows them), searched on 2026-12-07
    # on natural dev (278) and SQuAD tune (500) as above, the other weights as they were: coverage 1.0 and
    # passage 0 (in use) 0.543 / 0.812; coverage 0.5 and passage 1.0: 0.579 / 0.832 by the search's count.
    # Chosen on three dev collections and scored on the fourth, in turn, every fold kept the passage's
    # share (unix-manpages 0.484 -> 0.516, sqlite-docs 0.551 -> 0.551, r-manuals 0.538 -> 0.603,
    # debian-reference 0.603 -> 0.621). Whole runs with the reader, one machine (fp32 encoder): natural dev
    # first 0.558 -> 0.597, top3 0.802 -> 0.813, unanswerable abstained 0.588 -> 0.553; the test half (not
    # looked at) first 0.500 -> 0.504 (7 questions won, 6 lost), top3 0.675 -> 0.686; SQuAD held-out (1,500)
    # answer@1 0.865 -> 0.869, shown R@1 0.891 -> 0.895; `qa eval` first 82.4 % -> 81.2 % (one question).
    sentence_chunk: float = 0.0
    sentence_coverage: float = 0.5
    sentence_passage: float = 1.0
    sentence_bigrams: float = 0.25
    sentence_answer_shape: float = 0.2
    sentence_context: float = 1.0
    sentence_dense: float = 1.0
    sentence_similarity: float = 1.0
    # Taken off a sentence that repeats the answer just given, in a follow-up: eval follow-ups
    # 61.1 % -> 72.2 % answer in first passage (commit 7f328d7); not searched on SQuAD (no follow-ups).
    sentence_repeat: float = 1.0
    # Added to a sentence that opens with what a "what is X?" question asks about ("Shadowing lets you
    # ...", "-v, --invert-match  Invert ..."). Chosen on SQuAD's tune half (1,500 questions, answer@1
    # 0.809 without it; 0.809 / 0.811 / 0.808 at 0.1 / 0.2 / 0.4). Searched again on 2026-12-07 with the
    # sentence weights above (`python -m evals.natural.tune`, 0 to 0.8): 0.2 stays the best on both sets.
    # Two rules beside it, each made for one trial question, went that day: a sentence negating a word of
    # the question (-0.4, for "which option ignores case?") and one whose whole subject is X (+0.2, for
    # "what is a slice?"). Without either: natural dev 0.540 -> 0.543, SQuAD tune 0.816 -> 0.818 by the
    # search's count; whole dev runs with the reader first 0.550 / top3 0.799 either way, falsely abstained
    # 0.043 -> 0.039; `qa eval` the same to the digit.
    sentence_defines: float = 0.2
    # Chunks whose sentences are read for an answer. Chosen by hand with the first version;
    # `qa eval` names a miss "retrieval" when the answer chunk ranks below it.
    sentence_pool: int = 8
    # A passage is the best sentence and at most 2 more of its paragraph; a sentence under 8 words
    # always takes the next one. Chosen by hand; which neighbour joins was measured on SQuAD's tune
    # split (`qa bench squad --tune`, commit 1803944).
    passage_sentences: int = 3
    # The first passages shown as the sentences rank them, wherever they are; the places after them go
    # first to the documents the retriever ranked highest that no passage cites yet (qa.answer.keep_recall).
    # With every place open, SQuAD's shown R@5 rose 0.965 -> 0.976, but at the usual three places two
    # trial questions of 24 (man pages, the Rust Book) lost their answer, a second passage of the right
    # document, to a passage of another one. Three, chosen by hand from those trials.
    passages_by_score: int = 3
    short_sentence_words: int = 8
    # Sentences looked at when building passages and finding agreeing sources (at least 4 per
    # passage shown): a bound for speed, chosen by hand (commit 1803944).
    corroboration_depth: int = 12
    # Two passages agree (one is folded into the other's "also in") when they share this share of
    # their terms, or name the same answer and share this much. Chosen by hand.
    same_fact_overlap: float = 0.6
    same_answer_overlap: float = 0.25

    # Among answers of the right kind in a sentence, each question word running on from one (short
    # words between) counts this much beside the words near it (qa.answer_types.phrase_run).
    answer_phrase_weight: float = 1.0

    # ---- confidence (qa.engine.Evidence) ----
    # Searched on 2026-12-07 on what users ask (`python -m evals.natural.confidence`): every question of
    # the natural dev half (304 answerable, conversation turns included, and 85 unanswerable) and of `qa
    # eval`'s set (111 and 18) asked once with the reader, each confidence made again for every setting of a grid of
    # the costs below (lacking 1-3, missing number 1-2, unknown name 0.5-2, foreign 0.5-2, reader 0.25-1),
    # the abstain threshold chosen by `qa eval`'s rule on both sets together, a setting kept only if `qa
    # eval`'s abstention recall stays >= 55.6 % and its wrong abstentions <= 5 %. The costs below (the
    # share lacking 1 -> 2, a missing number 1 -> 2, an unknown name 0.5 -> 1, the foreign share 0.5 -> 1),
    # threshold 0.004284: natural dev abstained on unanswerable 0.459 -> 0.588, answerable abstained on
    # 0.043 -> 0.043; `qa eval` 0.556 -> 0.611 and 0.036 -> 0.045. Chosen on three dev collections and
    # scored on the fourth, in turn: 0.459 -> 0.576 abstained, 0.053 -> 0.046 falsely (every fold chose
    # lacking 2, missing number 2, unknown name 1, foreign 1 or 2). The dev half's AUC moved 0.867 -> 0.857:
    # the costs buy the low end, where the threshold sits, not the whole order.
    #
    # The idf-weighted share of the question's content terms that the first passage and its document's
    # name, title and date line lack costs this much per unit (1 before the search above, by hand).
    lacking_cost: float = 2.0
    # A first passage without an answer of the kind asked for costs two units for numbers (the search
    # above; a whole unit before) and one for dates: on SQuAD (1,500 questions) a right first passage lacks
    # a number for a "how many" question 4 % of the time and a date for a "when" question 7 % (another
    # article's passage: 19 % and 18 %); names and places are missed in 28-38 % of right passages, so they
    # cost 0.25 (commit 3d48416; the search above left 0.25 and 0.5 level).
    missing_number_cost: float = 2.0
    missing_date_cost: float = 1.0
    missing_answer_cost: float = 0.25
    # The share of the question's numbers missing costs half (commit 87fdcc7; chosen by hand).
    numbers_missing_cost: float = 0.5
    # Each name of the question (a capitalised word not opening it, or no English word) that no document of
    # the index holds costs a unit (qa.coverage; the search above, 0.5 before): on SQuAD's held-out half such
    # a name is in 2.0 % of questions asked of the whole corpus and in 30.3 % asked with their article
    # removed; the confidence AUC there moved 0.9633 -> 0.9640 at a cost of 0.1 and to 0.9558 at 1.0
    # (evals/reader_bench.py, 400 questions), so SQuAD alone chose half.
    unknown_name_cost: float = 1.0
    # The share of the question's names and numbers that the first passage's document never says (its
    # name, title and date line included; another document may) costs a unit (the search above; half
    # before), and the reader's share of the confidence (`reader_weight`) shrinks by it: the reader judges
    # whether a passage answers a question like this one, and "who led the delegation in 2018?" of a 2014
    # document is another question. SQuAD's tune half, 1,500 questions, article-removed AUC: 0.969 without
    # it; the reader's share alone 0.969; with a cost of 0.5: 0.972; 1.0: 0.968 (a largest share of names
    # or of numbers instead of one share of both: 0.969).
    foreign_cost: float = 1.0
    # ---- the reader (qa.reader, models/reader/) ----
    # The first `reader_depth` passages are read; each is ranked by the reader's `reader_score` as a
    # logit less `reader_prior` x log(1 + its rank before reading); the first passage's score (a
    # probability) adds `reader_weight` to the confidence. Chosen on 400 questions of the tune half of
    # SQuAD (evals/reader_bench.py --split tune, then --choose-on; models/reader/README.md): score and
    # prior by answer@1 (0.875 reading 3; 0.853 without the reader), the weight by the article-removed
    # AUC (0.962 at 0, 0.981 at 0.5, 0.980 at 1). With no re-ranking (below) only the first passage's
    # reading counts for the answer, the span scored and the confidence, so one passage is read: each
    # passage read costs about 17 ms of the latency budget (p50 <= 80 ms on 2 cores), and reading 3
    # changed only the marks of cards 2 and 3.
    reader_depth: int = 1
    reader_score: str = "answerable"
    reader_prior: float = 2.0
    reader_weight: float = 0.5
    # Whether the reader's order is used at all. Measured side by side: on 400 held-out SQuAD
    # questions re-ranking moves R@1 0.895 -> 0.910 and answer@1 0.853 -> 0.875 (6 and 9 questions);
    # on `qa eval` it puts the answer first for 3 fewer of 85 questions (77.6 % -> 74.1 %) and 1 fewer
    # follow-up. Within the noise of both, against it on ours: not adopted. The reader marks the
    # answers and adds to the confidence; the passages keep the retriever's order. Measured again on
    # 2026-12-04 (models/reader/README.md): float activations instead of int8 did not help (qa eval 72.9 %
    # first passage re-ranking 3), and a reader retrained with a listwise loss and the Assistant's own
    # passages, re-ranking 3 (answerable, prior 0, chosen on tune), gained held-out SQuAD (1,500: answer@1
    # 0.839 -> 0.854, span F1 0.529 -> 0.560, AUC 0.970 -> 0.975) but on qa eval gained 5 and lost 5
    # first passages, follow-ups 72.2 % -> 61.1 %, abstention recall 50.0 % -> 33.3 %: the gate fails.
    reader_reranks: bool = False
    # For a question that asks for no kind of answer (not a name, date or number), the reader marks its
    # own best span in the first passage when it finds the passage answerable with at least this
    # probability. Chosen on 1,500 questions of SQuAD's tune half (span F1 of the first passage,
    # `python -m evals.span_marks --split tune`, 2026-12-05): at 0.5, where it stood, 0.549; 0.1:
    # 0.566; 0.02: 0.575; 0: 0.586. A passage that does not answer is cautioned or abstained on by the
    # confidence, not by leaving its mark out; the mark only says which words the reader would quote.
    reader_mark_floor: float = 0.0
    # The reader also reads the first passage's whole chunk; when it finds the chunk answerable with at
    # least `reader_reread_floor` and by `reader_reread_margin` more than the passage, and its answer
    # lies outside the passage, the sentence holding that answer becomes the first passage
    # (qa.reader.answering_sentence). Chosen on 1,000 questions of SQuAD's tune half (answer in the
    # first passage 0.820 without it): floor 0.3 / 0.5 / 0.9 at margin 0.2: 0.837 / 0.836 / 0.835
    # (23, 21, 18 questions gained; 6, 5, 3 lost); margin 0: 0.829 (15 lost), 0.4: 0.835. As it ships
    # (the moved passage with the context any passage gets, and no surer than the one it displaced),
    # 1,500 tune questions: answer@1 0.814 -> 0.834, span F1 0.587 -> 0.603, article-removed AUC
    # 0.971 -> 0.968 (0.969 without the "no surer" cap, which cost `qa eval` one abstention).
    reader_rereads_chunk: bool = True
    reader_reread_floor: float = 0.3
    reader_reread_margin: float = 0.2

    # The total is squashed to 0..1 by 1 / (1 + exp(-4 × total)) (commit 5207c21). Only its order
    # matters: the abstain threshold on it is calibrated by `qa eval --calibrate` (qa.toml).
    confidence_steepness: float = 4.0


TUNED = Tuned()
