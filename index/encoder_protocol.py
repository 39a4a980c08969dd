"""What the index and the assistant need of a sentence encoder: `index.embedding.Encoder` is one,
and so is any stand-in wired in through the same interface (the tests' word-hash encoder)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class SentenceEncoder(Protocol):
    """Turns texts into unit-length vectors, and counts the word pieces the model reads."""

    model_name: str
    backend: str  # how it runs the model ("onnx-fp32", "torch", ...): the index records it
    texts_encoded: int  # how many texts it has encoded (tests count re-embedding with it)

    @property
    def dimension(self) -> int:
        """The length of a vector."""
        ...

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads of one text."""
        ...

    def count_tokens(self, text: str) -> int:
        """Word pieces in `text`."""
        ...

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Unit vectors, one row per text, float32."""
        ...

    def encode_with_parts(self, texts: list[str], parts: list[list[tuple[int, int]]],
                          batch_size: int = 64) -> tuple[np.ndarray, list[np.ndarray]]:
        """The vectors of `texts` and, from the same pass, a unit vector per character range of
        `parts[i]` in text i."""
        ...
