"""Opt-in fast encoding on CPU; embeddings are approximate, so a fast model has its own fingerprint and cache.

* ``"bf16"``: the model runs under ``torch.autocast`` in bfloat16 (oneDNN: AMX / AVX512-BF16 where the
  CPU has them); cosine to fp32 ~0.99999 on multilingual-e5-small.
* ``"onnx-int8"``: the transformer runs as an int8 ONNX Runtime graph (see ``onnx_fast``); needs the
  ``onnxruntime`` and ``onnx`` packages. 1.4-2.3x the fp32 throughput here; cosine to fp32 ~0.997.
* ``"int8"``: ``torch.ao.quantization.quantize_dynamic`` of the Linear layers (weights per output
  channel); no extra packages, ~1.5x, lower agreement (cosine ~0.988).

``fast=True`` picks ``"onnx-int8"`` when ONNX Runtime is installed, else ``"int8"`` (the modes that were
faster than fp32 in every run here; ``"bf16"`` was 1.6-1.8x on an idle machine but 0.8x under CPU contention).
"""
from __future__ import annotations

import contextlib
import importlib.util
from pathlib import Path

FAST_MODES = ("fp32", "bf16", "int8", "onnx-int8")


def fast_mode(fast: bool | str) -> str:
    """Normalise the ``fast`` option to one of ``FAST_MODES`` (False -> ``"fp32"``, the exact path)."""
    if fast is True:
        have_onnx = all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))
        return "onnx-int8" if have_onnx else "int8"
    mode = "fp32" if fast is False else fast
    if mode not in FAST_MODES:
        raise ValueError(f"unknown fast mode {fast!r}; valid: False, True, {', '.join(map(repr, FAST_MODES))}")
    return mode


def make_fast(model, mode: str, onnx_dir: Path, fingerprint: str):
    """Return ``model`` prepared for ``mode`` (changed in place; unchanged for ``"fp32"`` and ``"bf16"``)."""
    if mode in ("fp32", "bf16"):
        return model
    if model.device.type != "cpu":
        raise ValueError(f"fast mode {mode!r} runs on CPU only; the model is on {model.device}")
    if mode == "onnx-int8":
        from pyterrier_hybrid.retrieval.onnx_fast import use_onnx_int8
        return use_onnx_int8(model, onnx_dir, fingerprint)
    import warnings
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    with warnings.catch_warnings():  # torch announces the move of this API to torchao
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8,
                                inplace=True)


def encoding_context(mode: str):
    """The context to run the model in: bfloat16 autocast for ``"bf16"``, else nothing."""
    if mode == "bf16":
        import torch
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()
