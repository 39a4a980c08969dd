"""Exporting the encoder: the sentence-transformers model's transformer, traced by torch into an
ONNX graph; for "onnx-int8", fused by onnxruntime's BERT optimizer and its matrix products
quantized to int8 (the most sensitive per block, the rest per tensor).

This is the one module of the index that imports torch and sentence-transformers: at setup
(`python -m index.export`, which dev.sh runs), on the first encoding when no graph is cached, and
for the PyTorch reference encoder (`TorchEncoder`) that tests and benchmarks compare with.
Graphs are cached under `encoder_cache()` (default `.qa/encoders/`), one folder per model.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from config.backends import resolve_backend
from config.errors import ModelMissing
from config.settings import DEFAULT_MODEL
from index.embedding import Encoder, encoder_cache, resolve_model_path

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

GRAPH_FILES = {"onnx-fp32": "model.onnx", "onnx-int8": "model_int8.onnx"}
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
LAYERS, HEADS, HIDDEN = 6, 12, 384
# The int8 graph's matrix products whose quantization moves the vectors most, each quantized alone
# with the rest float (mean 1 - cosine to the float graph on 160 contexts and 160 questions of
# SQuAD's tune half: `python -m evals.quant_sensitivity`), most sensitive first: the first three
# layers' feed-forward outputs, two feed-forward inputs and a value product. These are quantized per
# block of 128 inputs, weights and activations both (MatMulNBits, 8 bits, int8 arithmetic); the other
# 30 per tensor (dynamic). A product per block costs about twice one per tensor here, so the fewer the
# faster. On 512 SQuAD chunks, 2026-12-05 (chunks/s, least cosine to PyTorch): the 12 most sensitive
# 90-93, 0.9978 (the recipe before, "onnx-int8-mixed"); 9: 95, 0.9969; 7: 97, 0.9951; 6: 99-103,
# 0.9947; none (all 36 per tensor) 0.985. Against 12, the 6 lost no SQuAD held-out figure by more than
# 0.3 points and no `qa eval` figure by more than one question or pair.
BLOCKWISE = tuple(f"layer.{name}/MatMul" for name in (
    "0/output/dense", "2/output/dense", "1/output/dense", "4/intermediate/dense", "4/attention/self/value",
    "3/intermediate/dense"))
BLOCK = 128


def model_key(model_path: Path, name: str) -> str:
    """A folder name for one model's graphs: its name and a digest of its weights' identity."""
    weights = sorted(model_path.glob("*.safetensors")) or sorted(model_path.glob("*.bin"))
    identity = [str(model_path.resolve())] + [f"{w.name}:{w.stat().st_size}:{w.stat().st_mtime_ns}" for w in weights]
    label = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in Path(name).name)
    return f"{label}-{hashlib.sha256('|'.join(identity).encode()).hexdigest()[:12]}"


def cached_graph(model_path: Path, backend: str, cache: Path, name: str = DEFAULT_MODEL) -> Path:
    """The graph file of `backend` for the model at `model_path`, exported first if not cached."""
    if backend not in GRAPH_FILES:
        raise ModelMissing(f"encoder {backend!r} has no exported graph (known: {', '.join(GRAPH_FILES)})")
    folder = cache / model_key(model_path, name)
    target = folder / GRAPH_FILES[backend]
    if not target.is_file():
        export_graphs(model_path, folder, backend)
    return target


def _log(message: str) -> None:
    print(f"qa: {message}", file=sys.stderr, flush=True)


def load_sentence_transformer(model_path: Path, device: str = "cpu") -> SentenceTransformer:
    """The sentence-transformers model at `model_path`, loaded offline."""
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false"),
                        ("HF_HUB_DISABLE_PROGRESS_BARS", "1"), ("TRANSFORMERS_VERBOSITY", "error")):
        os.environ.setdefault(name, value)
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    try:
        return SentenceTransformer(str(model_path), device=device, local_files_only=True)
    except (OSError, ValueError) as error:
        raise ModelMissing(f"model {model_path}: cannot load ({error})") from None


def trace_graph(model_path: Path, target: Path, attention: str = "sdpa") -> None:
    """The model's transformer traced by torch into an ONNX graph at `target`: word-piece ids, mask
    and token types in, each word piece's output vector out. `attention` is how transformers
    computes attention: "sdpa" (its default) or "eager" (plain products and softmax, the form
    onnxruntime's fusion recognises)."""
    import warnings

    import torch

    transformer = load_sentence_transformer(model_path)[0].auto_model.eval()
    transformer.set_attn_implementation(attention)

    class TokenOutputs(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                    token_type_ids=token_type_ids).last_hidden_state

    example = tuple(torch.ones(2, 16, dtype=torch.long) for _ in INPUTS)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "token_embeddings")}
    with warnings.catch_warnings(), torch.inference_mode(False):
        warnings.simplefilter("ignore")
        torch.onnx.export(TokenOutputs(), example, str(target), dynamo=False, input_names=list(INPUTS),
                          output_names=["token_embeddings"], dynamic_axes=axes, opset_version=17)


def fused_graph(model_path: Path, target: Path) -> dict[str, int]:
    """The float32 graph with onnxruntime's BERT fusions (EmbedLayerNormalization, MultiHeadAttention,
    SkipLayerNormalization, BiasGelu) at `target`, traced with eager attention; the fused operator
    counts. The query, key and value products stay separate MatMuls, so each can be quantized."""
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    traced = target.with_suffix(".traced.onnx")
    try:
        trace_graph(model_path, traced, attention="eager")
        options = FusionOptions("bert")
        options.use_multi_head_attention = True
        fused = optimize_model(str(traced), model_type="bert", num_heads=HEADS, hidden_size=HIDDEN, opt_level=0,
                               optimization_options=options)
    finally:
        traced.unlink(missing_ok=True)
    counts = {name: count for name, count in fused.get_fused_operator_statistics().items() if count}
    expected = {"EmbedLayerNormalization": 1, "MultiHeadAttention": LAYERS, "SkipLayerNormalization": 2 * LAYERS}
    if any(counts.get(name) != count for name, count in expected.items()):
        raise ModelMissing(f"model {model_path}: onnxruntime's BERT fusion found {counts}, not {expected} "
                           "(use QA_ENCODER=onnx-fp32)")
    fused.save_model_to_file(str(target))
    return counts


def quantize_mixed(fused: Path, target: Path, blockwise: tuple[str, ...] = BLOCKWISE) -> None:
    """The fused graph's matrix products in int8: those named in `blockwise` per block of `BLOCK`
    inputs (weights and activations), the rest per tensor (weights per column, activations dynamic)."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process is printed as a warning
    model = onnx.load(str(fused))
    products = [node.name for node in model.graph.node if node.op_type == "MatMul"]
    chosen = [name for name in products if name.endswith(blockwise)]
    if len(chosen) != len(blockwise):
        raise ModelMissing(f"graph {fused}: {len(chosen)} of the {len(blockwise)} products to quantize per block found")
    quantizer = MatMulNBitsQuantizer(model, bits=8, block_size=BLOCK, is_symmetric=True, accuracy_level=4,
                                     nodes_to_exclude=[name for name in products if name not in chosen])
    quantizer.process()
    middle = target.with_suffix(".blocks.onnx")
    try:
        onnx.save(quantizer.model.model, str(middle))
        quantize_dynamic(str(middle), str(target), weight_type=QuantType.QInt8, per_channel=True, reduce_range=False,
                         op_types_to_quantize=["MatMul"], extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        middle.unlink(missing_ok=True)


def export_graphs(model_path: Path, folder: Path, backend: str) -> None:
    """Export the graph of `backend` into `folder`: the float32 graph as traced, or the int8 one
    (fused, then quantized). Each file is written under a temporary name and renamed, so a crash
    leaves no half file."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / GRAPH_FILES[backend]
    staging = target.with_suffix(".onnx.part")
    facts: dict[str, Any] = {"model": str(model_path), "torch": torch.__version__, "opset": 17}
    if backend == "onnx-fp32":
        _log(f"exporting {model_path.name} to ONNX (once; cached in {folder})")
        trace_graph(model_path, staging)
    else:
        _log(f"exporting {model_path.name} to ONNX and quantizing it to int8 (once; cached in {folder})")
        fused = folder / "model_fused.onnx.part"
        try:
            facts["fused"] = fused_graph(model_path, fused)
            quantize_mixed(fused, staging)
        finally:
            fused.unlink(missing_ok=True)
        facts["int8"] = {"per block": {"products": list(BLOCKWISE), "block": BLOCK, "op": "MatMulNBits, 8 bits, "
                                       "symmetric, accuracy_level 4 (int8 arithmetic)"},
                         "per tensor": "the other MatMuls: weights QInt8 per column, activations QUInt8 dynamic"}
    staging.rename(target)
    (folder / f"{target.stem}.json").write_text(json.dumps(facts, indent=1))


class TorchEncoder(Encoder):
    """The PyTorch reference: sentence-transformers itself, for comparing and for benchmarks."""

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu") -> None:
        super().__init__(model, "torch")
        self.device = device

    @cached_property
    def model(self) -> SentenceTransformer:
        return load_sentence_transformer(self.model_path, self.device)

    def encode_with_parts(self, texts: list[str], parts: list[list[tuple[int, int]]],
                          batch_size: int = 64) -> tuple[np.ndarray, list[np.ndarray]]:
        """As `Encoder.encode_with_parts`, computed by PyTorch."""
        import torch

        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        part_vectors: list[np.ndarray] = [np.zeros((0, self.dimension), dtype=np.float32)] * len(texts)
        if not texts:
            return vectors, part_vectors
        self.texts_encoded += len(texts)
        model = self.model
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for first in range(0, len(order), batch_size):
            rows = order[first : first + batch_size]
            batch = [texts[i] for i in rows]
            features = model.preprocess(batch)
            offsets = np.asarray(model.tokenizer(batch, padding=True, truncation=True, max_length=model.max_seq_length,
                                                 return_offsets_mapping=True)["offset_mapping"], dtype=np.int64)
            with torch.inference_mode():
                out = model.forward(features)
            pooled = torch.nn.functional.normalize(out["sentence_embedding"].float(), dim=-1).numpy()
            vectors[rows] = pooled
            tokens = out["token_embeddings"].float().numpy()
            mask = features["attention_mask"].numpy().astype(bool)
            real = (offsets[..., 1] > offsets[..., 0]) & mask
            for slot, row in enumerate(rows):
                if parts[row]:
                    from index.embedding import _part_vectors

                    part_vectors[row] = _part_vectors(parts[row], offsets[slot, :, 0], offsets[slot, :, 1],
                                                      real[slot], tokens[slot], pooled[slot])
        return vectors, part_vectors


def main(argv: list[str] | None = None) -> int:
    """`python -m index.export [BACKEND]`: export (and quantize) the default model now."""
    args = argv if argv is not None else sys.argv[1:]
    backend = resolve_backend(args[0] if args else os.environ.get("QA_ENCODER", "auto"))
    model = os.environ.get("QA_MODEL", DEFAULT_MODEL)
    if backend == "torch":
        return 0
    with contextlib.suppress(KeyboardInterrupt):
        path = cached_graph(resolve_model_path(model), backend, encoder_cache(), model)
        print(f"encoder {model}/{backend}: {path}")
        return 0
    return 130


if __name__ == "__main__":
    raise SystemExit(main())
