"""Which encoder computes the vectors: the backends, and the one "auto" names on this CPU.

Apart from `index.embedding` so that the settings can name the encoder an index is built with
without importing the encoder (and the encoder's module imports the settings).
"""

from __future__ import annotations

from pathlib import Path

from config.errors import ModelMissing

# Encoders: "onnx-int8" (matrix products in int8: the most sensitive per block, the rest per tensor;
# "onnx-int8-mixed", the name of an earlier recipe, names it too), "onnx-fp32" (the traced graph as
# is), "torch" (sentence-transformers itself, the reference); "auto" picks one for this CPU
# (resolve_backend).
BACKENDS = ("auto", "onnx-int8", "onnx-int8-mixed", "onnx-fp32", "torch")


def cpu_has_int8_dot_product() -> bool:
    """True when the CPU has VNNI (AVX-512 or AVX) instructions, which make int8 matrix products fast."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


def resolve_backend(backend: str) -> str:
    """The encoder `backend` names. "auto" is the int8 graph on a CPU with VNNI
    (`cpu_has_int8_dot_product`): on 512 SQuAD chunks here 1.8 times the float32 graph's rate, least
    cosine to PyTorch 0.995; `qa eval` within one question of float32 per figure; SQuAD held-out
    R@1 0.2 points lower, R@5 the same. Without VNNI int8 products lose most of that speed, so there
    "auto" is the float32 graph (PyTorch's vectors, cosine 1.000). "onnx-int8-mixed", an earlier
    recipe (12 products per block), is read as "onnx-int8", so an index whose vectors it made is
    rebuilt."""
    if backend not in BACKENDS:
        raise ModelMissing(f"encoder {backend!r}: unknown (known: {', '.join(BACKENDS)}); set QA_ENCODER to one")
    if backend == "auto":
        return "onnx-int8" if cpu_has_int8_dot_product() else "onnx-fp32"
    return "onnx-int8" if backend == "onnx-int8-mixed" else backend
