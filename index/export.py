"""Exporting the encoder: the sentence-transformers model's transformer, traced by torch into an
ONNX graph, then (for "onnx-int8") its matrix products quantized to int8 by onnxruntime.

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

from index.embedding import Encoder, encoder_cache, resolve_backend, resolve_model_path
from index.errors import ModelMissing
from index.settings import DEFAULT_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

GRAPH_FILES = {"onnx-fp32": "model.onnx", "onnx-int8": "model_qint8.onnx"}
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# The first layer's feed-forward output product stays float: its inputs (after GELU) spread
# widest, and quantizing it costs the most accuracy (min. cosine to PyTorch 0.991 → 0.9915 on
# SQuAD contexts, 0.990 → 0.993 on questions) for the least speed.
KEEP_FLOAT = ("/encoder/layer.0/output/dense/MatMul",)


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
        export_graphs(model_path, folder, quantize=backend == "onnx-int8")
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


def export_graphs(model_path: Path, folder: Path, quantize: bool) -> None:
    """Export the float32 graph into `folder` (if missing) and, if `quantize`, its int8 copy.
    Each file is written under a temporary name and renamed, so a crash leaves no half file."""
    import warnings

    import torch

    folder.mkdir(parents=True, exist_ok=True)
    fp32 = folder / GRAPH_FILES["onnx-fp32"]
    if not fp32.is_file():
        _log(f"exporting {model_path.name} to ONNX (once; cached in {folder})")
        transformer = load_sentence_transformer(model_path)[0].auto_model.eval()

        class TokenOutputs(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.transformer = transformer

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                return self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                        token_type_ids=token_type_ids).last_hidden_state

        example = tuple(torch.ones(2, 16, dtype=torch.long) for _ in INPUTS)
        axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "token_embeddings")}
        staging = fp32.with_suffix(".onnx.part")
        with warnings.catch_warnings(), torch.inference_mode(False):
            warnings.simplefilter("ignore")
            torch.onnx.export(TokenOutputs(), example, str(staging), dynamo=False, input_names=list(INPUTS),
                              output_names=["token_embeddings"], dynamic_axes=axes, opset_version=17)
        staging.rename(fp32)
    int8 = folder / GRAPH_FILES["onnx-int8"]
    if quantize and not int8.is_file():
        _log(f"quantizing {model_path.name} to int8 (once)")
        import logging

        from onnxruntime.quantization import QuantType, quantize_dynamic

        logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process is printed as a warning
        staging = int8.with_suffix(".onnx.part")
        keep = [name for name in _matmul_names(fp32) if name.endswith(KEEP_FLOAT)]
        quantize_dynamic(str(fp32), str(staging), weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=False, op_types_to_quantize=["MatMul"], nodes_to_exclude=keep)
        staging.rename(int8)
    (folder / "export.json").write_text(json.dumps(
        {"model": str(model_path), "torch": torch.__version__, "opset": 17, "int8": {
            "weights": "QInt8 symmetric per channel", "activations": "QUInt8 dynamic", "ops": ["MatMul"],
            "kept_float": list(KEEP_FLOAT)}}, indent=1))


def _matmul_names(graph: Path) -> list[str]:
    import onnx

    return [node.name for node in onnx.load(str(graph), load_external_data=False).graph.node
            if node.op_type == "MatMul"]


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
