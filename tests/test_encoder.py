"""The exported encoder (the ONNX graph, int8 on a CPU with VNNI) agrees with the PyTorch
sentence-transformers model it was exported from, a text's vector does not depend on the texts
batched with it, and the index records which encoder made it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from config.backends import cpu_has_int8_dot_product, resolve_backend
from config.errors import IndexOutdated
from config.settings import PROJECT_ROOT, Settings
from index.documents.sentences import split_sentences
from index.embedding import Encoder
from index.export import TorchEncoder
from index.ingest import embedding_text, ingest
from index.store import Store
from qa.engine import Assistant
from tests.conftest import CORPUS

SQUAD = PROJECT_ROOT.parent / "shared" / "bench" / "squad_v1.1" / "dev-v1.1.json"


@pytest.fixture(scope="module")
def reference() -> TorchEncoder:
    return TorchEncoder()


def agreement(texts: list[str], encoder: Encoder, reference: TorchEncoder) -> tuple[float, float]:
    """The least cosine between our and PyTorch's vectors: of whole texts, and of their sentences."""
    parts = [[(s.start, s.end) for s in split_sentences(t, 0, len(t))] for t in texts]
    ours, our_parts = encoder.encode_with_parts(texts, parts)
    theirs, their_parts = reference.encode_with_parts(texts, parts)
    sentences = (np.concatenate(our_parts) * np.concatenate(their_parts)).sum(axis=1)
    return float((ours * theirs).sum(axis=1).min()), float(sentences.min())


@pytest.fixture(scope="module", params=["onnx-fp32", "onnx-int8"])
def exported(request: pytest.FixtureRequest) -> Encoder:
    return Encoder(backend=request.param)


def test_onnx_vectors_agree_with_pytorch_on_the_corpus(corpus_settings, exported, reference) -> None:  # type: ignore[no-untyped-def]
    texts = [embedding_text(record) for record in Store(corpus_settings).all_chunks()]
    whole, sentences = agreement(texts, exported, reference)
    # int8: the 6 most sensitive products per block (per tensor throughout: 0.99 / 0.985). Without VNNI,
    # onnxruntime's int8 kernels round differently (seen here: 0.9937 / 0.9916 on a CPU with no AVX-512),
    # and "auto" uses the float32 graph there: the int8 graph is then held to the per-tensor bound only.
    if exported.backend == "onnx-int8" and not cpu_has_int8_dot_product():
        assert resolve_backend("auto") == "onnx-fp32"
        assert whole >= 0.99 and sentences >= 0.985, (whole, sentences)
    else:
        assert whole >= 0.995 and sentences >= 0.99, (whole, sentences)
    if exported.backend == "onnx-fp32":  # the same computation as PyTorch's
        assert whole >= 0.9999 and sentences >= 0.9999, (whole, sentences)


@pytest.mark.skipif(not SQUAD.is_file(), reason="SQuAD dev set not on this machine")
def test_onnx_vectors_agree_with_pytorch_on_squad(exported, reference) -> None:  # type: ignore[no-untyped-def]
    encoder = exported
    data = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
    odd = [article for i, article in enumerate(data) if i % 2]
    contexts = [p["context"] for article in odd[:40:4] for p in article["paragraphs"][:4]]
    questions = [q["question"] for article in odd[:40:4] for p in article["paragraphs"][:2] for q in p["qas"]]
    assert agreement(contexts, encoder, reference)[0] >= 0.995
    ours, theirs = encoder.encode(questions), reference.encode(questions)
    # the bound the speed issue sets; int8 with 6 products per block: 0.9946, with 12: 0.997, all per tensor: under 0.99
    assert float((ours * theirs).sum(axis=1).min()) >= 0.99


def test_a_texts_vector_does_not_depend_on_the_texts_batched_with_it(exported) -> None:  # type: ignore[no-untyped-def]
    # texts of very different lengths: batches are padded to their longest text
    lengths = {"2015-12-01-state-dept-migration-talks.txt": 1500, "2010-voa-advancing-the-dialogue-with-cuba.txt": 60,
               "2022-04-20-news-americas-migration-talks.txt": 700,
               "2014-07-voa-us-committed-to-legal-cuban-migration.txt": 25}
    texts = [(CORPUS / name).read_text(encoding="utf-8")[:length] for name, length in lengths.items()]
    together = exported.encode(texts, batch_size=4)
    alone = np.concatenate([exported.encode([text]) for text in texts])
    least = float((together * alone).sum(axis=1).min())
    # int8: activations quantized per tensor scale with the batch's widest value (measured 0.9915 with 6
    # products per block, 0.995 with 12); ingest batches texts of one length, which keeps it closer
    assert least >= (0.99999 if exported.backend == "onnx-fp32" else 0.99), least


def test_tokens_are_counted_as_the_model_reads_them(encoder, reference) -> None:  # type: ignore[no-untyped-def]
    text = (CORPUS / "2015-12-01-state-dept-migration-talks.txt").read_text(encoding="utf-8")[:2000]
    assert encoder.count_tokens(text) == len(reference.model.tokenizer(text, add_special_tokens=False)["input_ids"])
    assert encoder.max_tokens == reference.model.max_seq_length - 2 and encoder.dimension == 384


def test_switching_the_encoder_rebuilds_the_index(tmp_path: Path, corpus_copy: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(index=str(tmp_path / "index"))
    ingest([corpus_copy], settings, encoder)
    other = "onnx-fp32" if encoder.backend == "onnx-int8" else "onnx-int8"
    switched = settings.replace(encoder=other)
    with pytest.raises(IndexOutdated, match="encoder"):
        Assistant.open(switched)
    report = ingest([corpus_copy], switched, Encoder.from_settings(switched))
    assert "encoder" in report.rebuilt and report.chunks_embedded == report.chunks_total
    assert Store(switched).built_with()["encoder"] == other
