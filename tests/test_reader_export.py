"""models/reader/export.py: the shipped int8 graph rewritten so that only its weights are int8."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import onnx
import pytest

from models.reader.export import weight_only
from qa.reader import MODEL_DIR, Reader

PASSAGES = ["Discussions were suspended in 2003.", "The Obama Administration resumed the discussions in July 2009, "
            "and a round was held in Havana in February 2010 with delegations of both sides.", "Nothing here."]


@pytest.mark.parametrize("fold", ["fp32", "fp16"])
def test_float_activations_make_a_passage_score_the_same_in_any_batch(tmp_path: Path, fold: str) -> None:
    model = weight_only(onnx.load(str(MODEL_DIR / "reader.onnx")), fold)
    ops = Counter(node.op_type for node in model.graph.node)
    assert ops["MatMulInteger"] == ops["DynamicQuantizeLinear"] == 0 and ops["MatMul"] >= 38
    for name in ("tokenizer.json", "reader.json"):
        shutil.copy(MODEL_DIR / name, tmp_path / name)
    onnx.save(model, str(tmp_path / "reader.onnx"))
    question = "When were the talks suspended?"
    reader = Reader.load(tmp_path)
    together = reader.read(question, PASSAGES)
    alone = [reader.read(question, [text])[0] for text in PASSAGES]
    for a, b in zip(together, alone, strict=True):
        assert a.relevance == pytest.approx(b.relevance, abs=1e-5)
        assert (a.start, a.end) == (b.start, b.end)
    # the shipped int8 graph, by contrast, scales activations over the whole batch
    shipped = Reader.load(MODEL_DIR)
    moved = [abs(a.relevance - b.relevance) for a, b in zip(shipped.read(question, PASSAGES),
                                                             [shipped.read(question, [t])[0] for t in PASSAGES],
                                                             strict=True)]
    assert max(moved) > 1e-4
