"""The model card (README.md) written beside the trained reader, like sentence-transformers' model_card_template."""

from __future__ import annotations

from pathlib import Path

MODEL_CARD = """---
base_model: sentence-transformers/all-MiniLM-L6-v2
license_data: CC BY-SA 4.0 (SQuAD v1.1)
pipeline_tag: question-answering
library_name: onnxruntime
---

# Reader: question and passage read together (relevance, answer span, no-answer)

The reading stage of `qa` (`qa/reader.py`). It reads `[CLS] question [SEP] passage [SEP]` (at most
{max_length} word pieces) and gives a relevance logit (from the mean of its outputs) and start/end logits
over the passage's word pieces; a passage that does not answer points its span at `[CLS]` (SQuAD 2.0
style).

## Model

- Base model: [sentence-transformers/all-MiniLM-L6-v2](https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2)
  (Apache 2.0), its first {layers} of 6 layers, word embeddings frozen; two linear heads.
- File: `reader.onnx`, the `{shipped}` graph of `models/reader/export.py`, {size_mb:.1f} MB; `tokenizer.json`
  is the base model's. Run with onnxruntime on the CPU; torch is only needed to retrain.
- Against torch on {compared} training pairs: relevance probability within {gap}, the same start
  piece for {same_start:.1%}, the same end piece for {same_end:.1%}.

## Training data and split

SQuAD v1.1 dev (`dev-v1.1.json`), **even-numbered articles only** (index 0, 2, 4, ... in file order: the
tune split). The odd-numbered articles (the held-out half), the project's `evals/questions.jsonl` and
`corpus/` were never read. Per question ({questions} questions):

| kind | label | pairs |
|---|---|---|
| the answer's sentence(s) with one neighbouring sentence | answer span | {window} |
| the whole paragraph (15 % of the questions) | answer span | {paragraph} |
| another sentence window of the same paragraph | no answer | {same_paragraph} |
| the best BM25 window of another paragraph of the same article | no answer | {other_paragraph} |
| the best BM25 window of another article (the question with its article removed) | no answer | {article_removed} |
| the window of another paragraph nearest the question by the retriever's encoder | no answer | {nearest} |
| the Assistant's own passage (no reader) holding the gold answer where SQuAD marks it | answer span | {shown_answers} |
| the Assistant's first 3 shown passages of tune articles that hold no gold answer | no answer | {shown_misses} |

A window that holds a gold answer string is never a negative. The Assistant's passages come from the
SQuAD index of `qa bench squad`, which holds every article: those of held-out articles are dropped unread.

## Training

```
{command}
```

Loss: binary cross-entropy of the relevance logit + the mean of the start and end cross-entropies{listwise}.
AdamW, learning rate {learning_rate} (the heads 10 times that) with linear warm-up and decay, batch
{batch_size}, {epochs} epoch(s)
planned{stopped}; {steps} steps in {seconds:.0f} s on 2 shared CPU cores (final loss {loss}); the forward
pass in bfloat16 autocast where the CPU has AVX-512 BF16.

## Figures on held-out data

{figures}

## Licence of the data

SQuAD v1.1 is CC BY-SA 4.0 (Rajpurkar et al., 2016); these weights are derived from it.
"""


def write_model_card(out: Path, record: dict, figures: str) -> None:  # type: ignore[type-arg]
    """The README.md beside the model: base model, data and split, command, loss, figures, size, licence."""
    examples = record["examples"]
    training = record["training"]
    agreement = record["against torch"][record["shipped graph"]]
    stopped = f", stopped by the time limit of {record['max minutes']} min" if record.get("max minutes") else ""
    text = MODEL_CARD.format(
        shipped=record["shipped graph"], max_length=record["max length"], layers=record["layers"],
        size_mb=(out / "reader.onnx").stat().st_size / 2**20,
        compared=agreement["compared"], gap=agreement["relevance probability, max difference"],
        same_start=agreement["same start"], same_end=agreement["same end"], questions=examples["questions"],
        window=examples.get("window", 0), paragraph=examples.get("paragraph", 0),
        same_paragraph=examples.get("same paragraph", 0), other_paragraph=examples.get("other paragraph", 0),
        article_removed=examples.get("article removed", 0), nearest=examples.get("nearest by encoder", 0),
        shown_answers=examples.get("shown, answers", 0), shown_misses=examples.get("shown, does not answer", 0),
        listwise=(f"\n+ {record['listwise loss']} x a listwise loss: each batch holds whole questions (at most 6 "
                  "passages each, its answering ones first), and each question's relevance logits are ranked "
                  "against each other (-log of the softmax share of its answering passages)"
                  if record.get("listwise loss") else ""),
        command=record["command"],
        learning_rate=record["learning rate"], batch_size=record["batch size"], epochs=record["epochs"],
        stopped=stopped, steps=training["steps"], seconds=training["seconds"], loss=training["final loss"],
        figures=figures)
    (out / "README.md").write_text(text, encoding="utf-8")
