"""The reader's training data (`models/reader/train.py`): positives and hard negatives for the tune split's
questions of SQuAD v1.1 dev (even-numbered articles only; the odd-numbered ones are never read here)."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import numpy as np

from evals.squad import normal_text
from index.documents.sentences import split_sentences

PARAGRAPH_SHARE = 0.15  # of questions that also get their whole paragraph as a positive (long, so costly)


@dataclass(frozen=True)
class Example:
    """A question, a passage and the answer's character span in it (None: the passage does not answer)."""

    question: str
    passage: str
    answer: tuple[int, int] | None
    kind: str
    group: str = ""  # the question's id: a question's passages are ranked against each other in training


@dataclass(frozen=True)
class Window:
    """A run of sentences of one tune paragraph."""

    article: int
    paragraph: int
    text: str


def sentence_window(context: str, sentences: list[tuple[int, int]], first: int, last: int,
                    rng: random.Random) -> tuple[int, int]:
    """Sentences first..last with one neighbour before or after (at random, where there is one)."""
    before = first > 0 and (last == len(sentences) - 1 or rng.random() < 0.5)
    first, last = (first - 1, last) if before else (first, min(last + 1, len(sentences) - 1))
    return sentences[first][0], sentences[last][1]


def tune_windows(data: dict, rng: random.Random) -> list[Window]:  # type: ignore[type-arg]
    """Every sentence of the tune articles as a window with one neighbour: the negatives' pool."""
    windows = []
    for a, article in enumerate(data["data"]):
        if a % 2:
            continue
        for p, paragraph in enumerate(article["paragraphs"]):
            context = paragraph["context"]
            sentences = [(s.start, s.end) for s in split_sentences(context)]
            for i in range(len(sentences)):
                start, end = sentence_window(context, sentences, i, i, rng)
                windows.append(Window(a, p, context[start:end]))
    return windows


def holds_answer(text: str, answers: list[str]) -> bool:
    """Whether a gold answer string occurs in `text` (normalised)."""
    haystack = f" {normal_text(text)} "
    return any(f" {normal_text(a)} " in haystack for a in answers if normal_text(a))


def build_examples(data: dict, sample: int | None, seed: int = 13,  # type: ignore[type-arg]
                   shown: dict[str, list[Example]] | None = None) -> tuple[list[Example], dict[str, int]]:
    """Positives and hard negatives for the tune split's questions (the first `sample` questions if given);
    `shown`: per question id, the Assistant's own passages for it (`assistant_examples`), added to its group."""
    import bm25s

    rng = random.Random(seed)
    windows = tune_windows(data, rng)
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([w.text for w in windows], stopwords="en", return_ids=False,
                                   show_progress=False), show_progress=False)
    asked = []
    for a, article in enumerate(data["data"]):
        if a % 2:
            continue
        for p, paragraph in enumerate(article["paragraphs"]):
            asked.extend((qa, paragraph["context"], a, p) for qa in paragraph["qas"])
    asked = asked[:sample] if sample is not None else asked
    query_terms = bm25s.tokenize([qa["question"] for qa, *_ in asked], stopwords="en", return_ids=False,
                                 show_progress=False)
    found, _ = retriever.retrieve(query_terms, k=min(60, len(windows)), show_progress=False)
    # the encoder's neighbours among the windows of the asked questions' articles and one more (all of
    # them for the full split; a --sample run encodes only what it can use)
    articles = sorted({a for _, _, a, _ in asked})
    articles += [next((w.article for w in windows if w.article not in articles), articles[0])]
    pool = [w for w in windows if w.article in set(articles)]
    dense = dense_neighbours([qa["question"] for qa, *_ in asked], pool, k=min(30, len(pool)))
    examples: list[Example] = []
    for (qa, context, a, p), nearest, close in zip(asked, found, dense, strict=True):
        sentences = [(s.start, s.end) for s in split_sentences(context)]
        examples.extend(replace(x, group=qa["id"]) for x in
                        question_examples(qa, context, sentences, (a, p), [windows[int(i)] for i in nearest], rng))
        answers = [x["text"] for x in qa["answers"]]
        neighbour = next((pool[int(i)] for i in close if (pool[int(i)].article, pool[int(i)].paragraph)
                          != (a, p) and not holds_answer(pool[int(i)].text, answers)), None)
        if neighbour is not None:
            examples.append(Example(qa["question"], neighbour.text, None, "nearest by encoder", qa["id"]))
        examples.extend((shown or {}).get(qa["id"], []))
    asked = len(asked)
    counts: dict[str, int] = {"questions": asked}
    for example in examples:
        counts[example.kind] = counts.get(example.kind, 0) + 1
    return examples, counts


def dense_neighbours(questions: list[str], windows: list[Window], k: int) -> np.ndarray:
    """Per question, the indexes of the `k` windows nearest it by the retriever's encoder (ONNX), best first."""
    from index.embedding import Encoder

    encoder = Encoder()
    vectors = encoder.encode([w.text for w in windows])
    asked = encoder.encode(questions)
    nearest = np.empty((len(questions), k), dtype=np.int64)
    for s in range(0, len(questions), 512):
        scores = asked[s : s + 512] @ vectors.T
        nearest[s : s + 512] = np.argsort(-scores, axis=1)[:, :k]
    return nearest


def question_examples(qa: dict, context: str, sentences: list[tuple[int, int]], place: tuple[int, int],  # type: ignore[type-arg]
                      nearest: list[Window], rng: random.Random) -> list[Example]:
    """The positives and negatives of one question; `nearest`: the BM25 windows of the tune split, best first."""
    article, paragraph = place
    question = qa["question"]
    answers = [x["text"] for x in qa["answers"]]
    start = qa["answers"][0]["answer_start"]
    end = start + len(answers[0])
    first = next((i for i, (s, e) in enumerate(sentences) if s <= start < e), None)
    last = next((i for i, (s, e) in enumerate(sentences) if s < end <= e), None)
    out: list[Example] = []
    if rng.random() < PARAGRAPH_SHARE:
        out.append(Example(question, context, (start, end), "paragraph"))
    if first is not None and last is not None and first <= last:
        w_start, w_end = sentence_window(context, sentences, first, last, rng)
        out.append(Example(question, context[w_start:w_end], (start - w_start, end - w_start), "window"))
        others = [i for i in range(len(sentences)) if i < first or i > last]
        rng.shuffle(others)
        for i in others:
            s, e = sentence_window(context, sentences, i, i, rng)
            if not (s <= start < e) and not holds_answer(context[s:e], answers):
                out.append(Example(question, context[s:e], None, "same paragraph"))
                break
    same_article = other_article = None
    for window in nearest:
        if (window.paragraph == paragraph and window.article == article) or holds_answer(window.text, answers):
            continue
        if window.article == article and same_article is None:
            same_article = window
        if window.article != article and other_article is None:
            other_article = window
    if same_article is not None:
        out.append(Example(question, same_article.text, None, "other paragraph"))
    if other_article is not None:
        out.append(Example(question, other_article.text, None, "article removed"))
    return out


SHOWN_DEPTH = 8  # the Assistant's passages looked at per question (it reads at most the first few)
SHOWN_NEGATIVES = 3  # of them, the first that do not answer


def assistant_examples(data: dict, sample: int | None, log) -> dict[str, list[Example]]:  # type: ignore[no-untyped-def,type-arg]
    """Per tune question id: the passages the Assistant itself (no reader) shows first for it on the SQuAD
    index of `qa bench squad`, the candidates the reader re-ranks at answer time. A passage of the question's
    paragraph that holds the gold answer where SQuAD marks it is a positive (the first only); the first
    `SHOWN_NEGATIVES` passages that hold no gold answer string are negatives. Passages of the odd-numbered
    (held-out) articles are shown by the Assistant too, since the index holds every article: they are
    dropped here, unread. Remembered in the SQuAD cache, per index and sample."""
    import json
    from pathlib import Path

    from config.settings import load_settings
    from evals.squad import SQUAD_FILE, prepared_index
    from qa.engine import Assistant

    settings, questions = prepared_index(SQUAD_FILE, load_settings().replace(reader=False), log=log)
    tune = [q for q in questions if q.split == "tune"]
    tune = tune[:sample] if sample is not None else tune
    cache = Path(settings.index).parent / f"reader-shown-{SHOWN_DEPTH}-{SHOWN_NEGATIVES}-{len(tune)}.json"
    if cache.is_file():
        stored = json.loads(cache.read_text(encoding="utf-8"))
        return {key: [Example(q, text, tuple(a) if a else None, kind, group) for q, text, a, kind, group in rows]
                for key, rows in stored.items()}
    assistant = Assistant.open(settings)
    shown: dict[str, list[Example]] = {}
    for number, question in enumerate(tune, start=1):
        answer = assistant.ask(question.question, top_k=SHOWN_DEPTH)
        out: list[Example] = []
        negatives = 0
        for passage in answer.passages:
            article = int(Path(passage.citation.source).name.split("-")[0])
            if article % 2:  # a held-out article: never read
                continue
            start, end = passage.citation.start, passage.citation.end
            gold = Path(passage.citation.source).name == Path(question.source).name
            inside = next(((s - start, e - start) for s, e in question.spans if gold and start <= s and e <= end),
                          None)
            if inside is not None:
                if not any(x.answer is not None for x in out):
                    out.append(Example(question.question, passage.text, inside, "shown, answers", question.id))
            elif not holds_answer(passage.text, list(question.answers)) and negatives < SHOWN_NEGATIVES:
                out.append(Example(question.question, passage.text, None, "shown, does not answer", question.id))
                negatives += 1
        shown[question.id] = out
        if number % 500 == 0:
            log(f"train: the Assistant's passages for {number}/{len(tune)} tune questions")
    cache.write_text(json.dumps({key: [[x.question, x.passage, x.answer, x.kind, x.group] for x in rows]
                                 for key, rows in shown.items()}), encoding="utf-8")
    return shown
