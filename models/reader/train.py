"""`python -m models.reader.train` (or `qa train reader`): train the reading model shipped in models/reader/.

One model reads "[CLS] question [SEP] passage [SEP]" and gives a relevance logit (from the mean of its
outputs) and start/end logits over the passage's word pieces (SQuAD 2.0 style: a passage without the
answer points at [CLS]).
It starts from the first layers of all-MiniLM-L6-v2 and is trained on SQuAD v1.1 dev, even-numbered
articles only (the tune split); the odd-numbered articles, evals/questions.jsonl and corpus/ are never
read here. Per question:

- positives: the answer's sentence(s) with a neighbouring sentence, and for a quarter of the questions
  the whole paragraph;
- negatives: another sentence window of the same paragraph, the best BM25 window of another paragraph
  of the same article, the best BM25 window of another article (the question asked with its article
  removed: the near miss that must be abstained on), and the window of another paragraph nearest the
  question by the retriever's own encoder (the candidates the reader re-ranks at answer time).

With `--shown`, the passages the Assistant itself shows for each tune question join its positives and
negatives; with `--listwise W`, batches hold whole questions and each question's passages are also ranked
against each other (a softmax over their relevance logits). Both were tried for re-ranking
(models/reader/README.md) and are off by default: the shipped reader was trained without them.

The trained model is exported to ONNX; the torch weights, the float graph and every variant of
`models/reader/export.py` (int8 per tensor, int8 per column, int8 weights only, float16 weights) are kept
under .qa/reader-torch/ (outside git), each compared with torch; `--export` says which is reader.onnx.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

from config.settings import PROJECT_ROOT
from evals.squad import SQUAD_FILE, load_squad
from models.reader.card import write_model_card
from models.reader.data import Example, assistant_examples, build_examples
from models.reader.export import VARIANTS, write_variant

MAX_LENGTH = 192  # word pieces of question and passage together
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAMES = ("relevance", "start", "end")
HEAD_RATE = 10.0  # the heads' learning rate, in units of the body's
SLICE = 8  # rows run through the network at once (a batch is run in slices of similar length)
DEFAULT_OUT = Path(__file__).resolve().parent  # models/reader: beside the weights it makes


# ---- encoding -------------------------------------------------------------------------------------
def load_tokenizer(path: Path, max_length: int = MAX_LENGTH):  # type: ignore[no-untyped-def]
    """The word-piece tokenizer with pair truncation and no padding."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
    return tokenizer


def token_span(offsets: list[tuple[int, int]], sequence_ids: list[int | None],
               answer: tuple[int, int]) -> tuple[int, int] | None:
    """The first and last passage word pieces of a character span (None when truncated away)."""
    start_token = end_token = None
    for i, ((s, e), sequence) in enumerate(zip(offsets, sequence_ids, strict=True)):
        if sequence != 1 or e <= s:
            continue
        if start_token is None and e > answer[0]:
            start_token = i
        if s < answer[1]:
            end_token = i
    if start_token is None or end_token is None or end_token < start_token or offsets[end_token][1] < answer[1]:
        return None
    return start_token, end_token


def encode_examples(tokenizer, examples: list[Example]) -> list[tuple[list[int], list[int], int, int, int, str]]:  # type: ignore[no-untyped-def]
    """(ids, type ids, relevance label, start, end, group) per example; a truncated-away answer is dropped."""
    encoded = tokenizer.encode_batch([(x.question, x.passage) for x in examples])
    rows = []
    for example, encoding in zip(examples, encoded, strict=True):
        if example.answer is None:
            rows.append((encoding.ids, encoding.type_ids, 0, 0, 0, example.group))
            continue
        span = token_span(encoding.offsets, encoding.sequence_ids, example.answer)
        if span is not None:
            rows.append((encoding.ids, encoding.type_ids, 1, span[0], span[1], example.group))
    return rows


# ---- the model ------------------------------------------------------------------------------------
def reader_network(base: Path, layers: int, freeze_words: bool = True):  # type: ignore[no-untyped-def]
    """The torch model: the first `layers` of the base BERT, a relevance head on the mean of its outputs,
    a span head."""
    import torch
    from transformers import BertModel

    class ReaderNetwork(torch.nn.Module):
        """Relevance logit per passage, start/end logits per word piece (question pieces masked)."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel.from_pretrained(str(base), num_hidden_layers=layers, add_pooling_layer=False)
            # 5k questions: keep the vocabulary (and a third of the optimiser's work)
            self.bert.embeddings.word_embeddings.weight.requires_grad_(not freeze_words)
            size = self.bert.config.hidden_size
            self.relevance = torch.nn.Linear(size, 1)
            self.span = torch.nn.Linear(size, 2)

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            span = self.span(hidden)
            first = torch.zeros_like(token_type_ids)
            first[:, 0] = 1
            allowed = ((token_type_ids * attention_mask) + first) > 0
            start = span[..., 0].masked_fill(~allowed, -10000.0)
            end = span[..., 1].masked_fill(~allowed, -10000.0)
            # all-MiniLM-L6-v2 was trained with mean pooling; its [CLS] output barely varies (a relevance
            # head on it stayed flat), so relevance reads the mean of all pieces
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            return self.relevance(pooled).squeeze(-1), start, end

    return ReaderNetwork()


def batches(rows: list, size: int, rng: random.Random) -> list[list]:  # type: ignore[type-arg]
    """Batches of rows of similar length (less padding), in random order."""
    order = sorted(range(len(rows)), key=lambda i: (len(rows[i][0]), rng.random()))
    groups = [[rows[i] for i in order[s : s + size]] for s in range(0, len(order), size)]
    rng.shuffle(groups)
    return groups


def grouped_batches(rows: list, size: int, rng: random.Random, group_size: int = 6) -> list[list]:  # type: ignore[type-arg]
    """Batches of whole questions: each question's rows (at most `group_size`: its positives first, then its
    negatives in random order) stay together, so that they can be ranked against each other; questions of
    similar length share a batch of about `size` rows."""
    by_question: dict[str, list] = {}  # type: ignore[type-arg]
    for row in rows:
        by_question.setdefault(row[5], []).append(row)
    groups = []
    for members in by_question.values():
        positives = [r for r in members if r[2] == 1]
        negatives = [r for r in members if r[2] == 0]
        rng.shuffle(negatives)
        groups.append((positives[: group_size // 2] + negatives)[:group_size])
    groups.sort(key=lambda g: (max(len(r[0]) for r in g), rng.random()))
    out, batch = [], []  # type: ignore[var-annotated]
    for group in groups:
        if batch and len(batch) + len(group) > size:
            out.append(batch)
            batch = []
        batch = batch + group
    if batch:
        out.append(batch)
    rng.shuffle(out)
    return out


def listwise_loss(relevance, labels, batch: list):  # type: ignore[no-untyped-def,type-arg]
    """Per question with both kinds in the batch: -log of the softmax share of its answering passages among all
    its passages (the relevance logits ranked against each other); the mean over those questions."""
    import torch

    keys = [row[5] for row in batch]
    losses = []
    for key in dict.fromkeys(keys):
        members = torch.tensor([k == key for k in keys])
        scores, positive = relevance[members], labels[members] > 0
        if 0 < int(positive.sum()) < len(scores):
            losses.append(torch.logsumexp(scores, 0) - torch.logsumexp(scores[positive], 0))
    return torch.stack(losses).mean() if losses else relevance.sum() * 0.0


def tensors(batch: list):  # type: ignore[no-untyped-def,type-arg]
    """Padded input tensors and targets of a batch."""
    import torch

    width = max(len(row[0]) for row in batch)
    ids = torch.zeros(len(batch), width, dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for i, row in enumerate(batch):
        ids[i, : len(row[0])] = torch.tensor(row[0])
        types[i, : len(row[1])] = torch.tensor(row[1])
        mask[i, : len(row[0])] = 1
    labels = torch.tensor([row[2] for row in batch], dtype=torch.float)
    starts = torch.tensor([row[3] for row in batch])
    ends = torch.tensor([row[4] for row in batch])
    return (ids, mask, types), labels, starts, ends


def train(network, rows: list, epochs: int, batch_size: int, learning_rate: float,  # type: ignore[no-untyped-def,type-arg]
          log, max_minutes: float | None = None, seed: int = 13, bf16: bool = False,
          listwise: float = 0.0) -> dict[str, float]:
    """AdamW with linear warm-up and decay; loss = BCE(relevance) + mean CE(start, end), + `listwise` x the
    listwise loss of each question's passages (`listwise_loss`; batches then hold whole questions).

    With `max_minutes` the rate decays to zero by whichever comes first, the last step or the time limit.
    `bf16`: the forward pass in bfloat16 autocast (weights and optimiser stay fp32), about 1.5x faster on a
    CPU with AVX-512 BF16.
    """
    import torch

    rng = random.Random(seed)
    torch.manual_seed(seed)
    make_batches = grouped_batches if listwise else batches
    steps = epochs * len(make_batches(rows, batch_size, random.Random(seed)))
    trained = [p for p in network.parameters() if p.requires_grad]
    heads = [p for name, p in network.named_parameters() if not name.startswith("bert.")]
    body = [p for name, p in network.named_parameters() if name.startswith("bert.") and p.requires_grad]
    rates = [learning_rate, HEAD_RATE * learning_rate]  # new heads learn faster than the pretrained body
    optimiser = torch.optim.AdamW([{"params": body}, {"params": heads}], lr=learning_rate, weight_decay=0.01)
    warm = max(1, steps // 20)
    bce, ce = torch.nn.BCEWithLogitsLoss(), torch.nn.CrossEntropyLoss()
    network.train()
    step, began, recent = 0, time.perf_counter(), []
    for epoch in range(epochs):
        for batch in make_batches(rows, batch_size, rng):
            done = step / steps
            if max_minutes:
                done = max(done, (time.perf_counter() - began) / (60 * max_minutes))
            if done >= 1:
                break
            for group, rate in zip(optimiser.param_groups, rates, strict=True):
                group["lr"] = rate * min((step + 1) / warm, 1 - done)
            # the rows by length, run in slices of similar length (a question's rows differ widely in
            # length, so one padded batch would be mostly padding); the losses over the whole batch
            batch = sorted(batch, key=lambda row: len(row[0]))
            relevances, labels, span_loss = [], [], 0.0
            for s in range(0, len(batch), SLICE):
                inputs, slice_labels, starts, ends = tensors(batch[s : s + SLICE])
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    relevance, start, end = network(*inputs)
                relevances.append(relevance.float())
                labels.append(slice_labels)
                span_loss = span_loss + (ce(start.float(), starts) + ce(end.float(), ends)) / 2 * len(slice_labels)
            relevance, labels = torch.cat(relevances), torch.cat(labels)
            loss = bce(relevance, labels) + span_loss / len(batch)
            if listwise:
                loss = loss + listwise * listwise_loss(relevance, labels, batch)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trained, 1.0)
            optimiser.step()
            step += 1
            recent = [*recent[-49:], loss.item()]
            if step % 50 == 0 or step == steps:
                log(f"train: epoch {epoch + 1} step {step}/{steps} loss {np.mean(recent):.3f} "
                    f"{time.perf_counter() - began:.0f} s")
    network.eval()
    seconds = round(time.perf_counter() - began, 1)
    return {"steps": step, "seconds": seconds, "final loss": round(float(np.mean(recent)), 4)}


# ---- export ----------------------------------------------------------------------------------------
def export_onnx(network, out: Path, tokenizer, check: list[Example], keep: Path,  # type: ignore[no-untyped-def]
                shipped: str = "int8") -> dict[str, dict[str, float]]:
    """Export the float graph and the torch weights into `keep` (outside git), write each of `VARIANTS` beside
    them, compare each with torch on `check`, and copy the `shipped` one to out/reader.onnx."""
    import shutil

    import onnxruntime as ort
    import torch

    keep.mkdir(parents=True, exist_ok=True)
    torch.save(network.state_dict(), keep / "reader.pt")
    full = keep / "reader-fp32.onnx"
    sample = tensors(encode_examples(tokenizer, check[:4]) or [([101, 102], [0, 0], 0, 0, 0, "")])[0]
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUT_NAMES, "start", "end")} | {"relevance": {0: "batch"}}
    torch.onnx.export(network, sample, str(full), input_names=list(INPUT_NAMES), output_names=list(OUTPUT_NAMES),
                      dynamic_axes=axes, opset_version=17, dynamo=False)
    rows = encode_examples(tokenizer, check)
    references = []
    for row in rows:
        inputs, *_ = tensors([row])
        with torch.no_grad():
            references.append((inputs, [t.numpy() for t in network(*inputs)]))
    agreement = {}
    for variant in ("fp32", *VARIANTS):
        path = full if variant == "fp32" else keep / f"reader-{variant}.onnx"
        if variant != "fp32":
            write_variant(full, path, variant)
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        gaps, same_start, same_end = [], 0, 0
        for inputs, reference in references:
            got = session.run(None, dict(zip(INPUT_NAMES, (t.numpy() for t in inputs), strict=True)))
            gaps.append(abs(1 / (1 + np.exp(-reference[0][0])) - 1 / (1 + np.exp(-got[0][0]))))
            same_start += int(reference[1].argmax() == got[1].argmax())
            same_end += int(reference[2].argmax() == got[2].argmax())
        n = max(1, len(rows))
        agreement[variant] = {"compared": len(rows), "MB": round(path.stat().st_size / 2**20, 1),
                              "relevance probability, max difference": round(float(max(gaps, default=0)), 4),
                              "relevance probability, mean difference": round(float(np.mean(gaps or [0])), 4),
                              "same start": round(same_start / n, 4), "same end": round(same_end / n, 4)}
    shutil.copy(keep / f"reader-{shipped}.onnx", out / "reader.onnx")
    return agreement


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `qa train reader`."""
    parser.add_argument("--data", type=Path, default=SQUAD_FILE, help="SQuAD v1.1 dev file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the model is written")
    parser.add_argument("--sample", type=int, default=None, help="use only the first N tune questions")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--layers", type=int, default=6, help="layers of all-MiniLM-L6-v2 kept (1-6)")
    parser.add_argument("--train-words", action="store_true", help="also train the word embeddings")
    parser.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=None,
                        help="bfloat16 autocast (default: when the CPU has AVX-512 BF16)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-minutes", type=float, default=None, help="stop training after this long")
    parser.add_argument("--listwise", type=float, default=0.0,
                        help="weight of the loss that ranks each question's passages against each other (0: off, "
                             "as the shipped reader was trained)")
    parser.add_argument("--shown", action=argparse.BooleanOptionalAction, default=False,
                        help="add the passages the Assistant itself shows for each tune question (needs the SQuAD "
                             "index of `qa bench squad`, built on first use)")
    parser.add_argument("--export", choices=VARIANTS, default="int8",
                        help="the graph written as reader.onnx (models/reader/export.py; every one is kept and "
                             "compared with torch)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="where the torch weights and every exported graph are kept (default: .qa/reader-torch/"
                             "OUT's name, outside git)")


def main(argv: list[str] | None = None) -> int:
    """`qa train reader ARGS...` alone: `python -m models.reader.train ARGS...`."""
    parser = argparse.ArgumentParser(prog="python -m models.reader.train", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.given = list(sys.argv[1:] if argv is None else argv)
    return command(args)


def command(args: argparse.Namespace) -> int:
    """Build the data, train, export, check; print what was done as JSON."""
    import shutil

    import torch

    from index.embedding import resolve_model_path

    torch.set_num_threads(args.threads)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if not 1 <= args.layers <= 6:
        print(f"--layers {args.layers}: all-MiniLM-L6-v2 has layers 1 to 6", file=sys.stderr)
        return 2
    try:
        data = load_squad(args.data)
    except Exception as error:  # BenchError: one line
        print(str(error), file=sys.stderr)
        return 2
    base = resolve_model_path("all-MiniLM-L6-v2")
    began = time.perf_counter()
    shown = assistant_examples(data, args.sample, log) if args.shown else None
    examples, counts = build_examples(data, args.sample, shown=shown)
    log(f"train: {json.dumps(counts)}")
    tokenizer = load_tokenizer(base / "tokenizer.json")
    rows = encode_examples(tokenizer, examples)
    network = reader_network(base, args.layers, freeze_words=not args.train_words)
    bf16 = torch.cpu._is_avx512_bf16_supported() if args.bf16 is None else args.bf16
    training = train(network, rows, args.epochs, args.batch_size, args.learning_rate, log, args.max_minutes,
                     bf16=bf16, listwise=args.listwise)
    args.out.mkdir(parents=True, exist_ok=True)
    check = random.Random(1).sample(examples, min(200, len(examples)))
    keep = args.keep or PROJECT_ROOT / ".qa" / "reader-torch" / args.out.resolve().name
    agreement = export_onnx(network, args.out, tokenizer, check, keep, args.export)
    shutil.copy(base / "tokenizer.json", args.out / "tokenizer.json")
    record = {
        "base model": "sentence-transformers/all-MiniLM-L6-v2", "layers": args.layers, "max length": MAX_LENGTH,
        "data": f"{args.data.name}, even-numbered articles (tune split)", "examples": counts, "rows": len(rows),
        "epochs": args.epochs, "batch size": args.batch_size, "learning rate": args.learning_rate,
        "word embeddings trained": args.train_words, "bf16 autocast": bf16,
        "listwise loss": args.listwise, "training": training, "shipped graph": args.export,
        "against torch": agreement, "torch weights kept in": str(keep),
        "wall seconds": round(time.perf_counter() - began, 1),
        "command": "qa train reader " + " ".join(args.given),
        "max minutes": args.max_minutes,
    }
    (args.out / "reader.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    write_model_card(args.out, record, "Not measured yet: run `python -m evals.reader_bench --reader "
                     f"{args.out}` (held-out SQuAD articles).")
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
