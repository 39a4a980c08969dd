"""Which of the encoder's matrix products int8 harms most: where `index.export.BLOCKWISE` comes from.

    python -m evals.quant_sensitivity [--contexts N] [--questions N] [--json]

Each MatMul of the fused float32 graph (`index.export.fused_graph`) is quantized alone, per tensor
(weights per column, activations dynamic), the rest left float; the figure is the mean and the
largest 1 - cosine between its vectors and the float graph's, on contexts (after their article's
title, as chunks are embedded) and questions drawn from SQuAD's tune half (the even-numbered
articles; nothing of the held-out half or of `qa eval`'s set). Printed most harmful first.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

from evals.squad_data import SQUAD_FILE, guarded, load_squad, paragraphs


def tune_texts(contexts: int, questions: int, seed: int = 1) -> tuple[list[str], list[str]]:
    """Contexts (after their article's title) and questions of SQuAD's tune half, drawn at random."""
    tune = [p for p in paragraphs(load_squad(SQUAD_FILE)) if p.article % 2 == 0]
    texts = [f"{p.title.replace('_', ' ')}. {p.context}" for p in tune]
    asked = [qa["question"] for p in tune for qa in p.qas]
    draw = random.Random(seed)
    return draw.sample(texts, contexts), draw.sample(asked, questions)


def sensitivity(contexts: int, questions: int) -> dict[str, dict[str, float]]:
    """Per MatMul: mean and largest 1 - cosine to the float graph when it alone is int8."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from config.settings import DEFAULT_MODEL
    from index.embedding import Encoder, resolve_model_path
    from index.export import fused_graph

    logging.getLogger().setLevel(logging.ERROR)
    texts, asked = tune_texts(contexts, questions)

    def vectors(graph: Path) -> tuple[np.ndarray, np.ndarray]:
        encoder = Encoder(backend="onnx-fp32", graph=graph)
        return encoder.encode(texts, batch_size=32), encoder.encode(asked, batch_size=32)

    found: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="qa-sensitivity-") as scratch:
        fused, single = Path(scratch) / "fused.onnx", Path(scratch) / "single.onnx"
        fused_graph(resolve_model_path(DEFAULT_MODEL), fused)
        reference = vectors(fused)
        products = [node.name for node in onnx.load(str(fused)).graph.node if node.op_type == "MatMul"]
        for number, name in enumerate(products, start=1):
            quantize_dynamic(str(fused), str(single), weight_type=QuantType.QInt8, per_channel=True,
                             reduce_range=False, op_types_to_quantize=["MatMul"], nodes_to_quantize=[name],
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
            ours = vectors(single)
            loss = [1 - (mine * theirs).sum(axis=1) for mine, theirs in zip(ours, reference, strict=True)]
            short = name.split("/encoder/")[-1]
            found[short] = {"contexts_mean": float(loss[0].mean()), "contexts_max": float(loss[0].max()),
                            "questions_mean": float(loss[1].mean()), "questions_max": float(loss[1].max())}
            print(f"quant_sensitivity: {number}/{len(products)} {short}", file=sys.stderr, flush=True)
    return dict(sorted(found.items(), key=lambda item: -(item[1]["contexts_mean"] + item[1]["questions_mean"])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.quant_sensitivity", description=__doc__.split("\n")[0])
    parser.add_argument("--contexts", type=int, default=160, help="tune-half contexts (default 160)")
    parser.add_argument("--questions", type=int, default=160, help="tune-half questions (default 160)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)

    def report() -> int:
        found = sensitivity(args.contexts, args.questions)
        if args.json:
            print(json.dumps(found, indent=1))
            return 0
        print(f"{'product':40}  contexts mean / max      questions mean / max")
        for name, row in found.items():
            print(f"{name:40}  {row['contexts_mean']:.2e} / {row['contexts_max']:.2e}  "
                  f"{row['questions_mean']:.2e} / {row['questions_max']:.2e}")
        return 0

    return guarded("quant_sensitivity", report)


if __name__ == "__main__":
    sys.exit(main())
