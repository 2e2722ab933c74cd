"""Opt-in fast encoding; embeddings are approximate, so a fast model has its own fingerprint and cache.

* ``"bf16"``: the transformer's weights are cast to bfloat16 and it runs in bfloat16 (oneDNN uses AMX /
  AVX512-BF16 where the CPU has them); its output is cast back to float32, so pooling and normalisation
  stay fp32. What ``fast=True`` picks on a CPU with native bfloat16.
* ``"bf16-autocast"``: fp32 weights under ``torch.autocast`` bfloat16.
* ``"onnx-int8"``: the transformer runs as an int8 ONNX Runtime graph (see ``onnx_fast``); needs the
  ``onnxruntime`` and ``onnx`` packages.
* ``"int8"``: ``torch.ao.quantization.quantize_dynamic`` of the Linear layers (weights per output
  channel); no extra packages.

Without native bfloat16 (bf16 would be emulated, slower than fp32), ``fast=True`` falls back to ``"onnx-int8"``
when ONNX Runtime is installed, else ``"int8"``: faster than fp32 but less exact. Speed and agreement of each
mode: ``benchmarks/README.md``.
"""
from __future__ import annotations

import contextlib
import importlib.util
from pathlib import Path

from pyterrier_hybrid.core.cpu import native_bf16

FAST_MODES = ("fp32", "bf16", "bf16-autocast", "int8", "onnx-int8")

def encode_precision(precision: str) -> str:
    """A fast mode for an encoding precision: ``auto`` is bf16 weights where the CPU computes bfloat16 natively
    (faster, macro mAP within 0.001 of fp32: ``benchmarks/README.md``) and exact fp32 elsewhere."""
    if precision == "auto":
        return "bf16" if native_bf16() else "fp32"
    if precision not in FAST_MODES:
        raise ValueError(f"unknown encoding precision {precision!r}; valid: auto, {', '.join(FAST_MODES)}")
    return precision


def fast_mode(fast: bool | str) -> str:
    """Normalise the ``fast`` option to one of ``FAST_MODES`` (False -> ``"fp32"``, the exact path)."""
    if fast is True:
        if native_bf16():
            return "bf16"
        have_onnx = all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))
        return "onnx-int8" if have_onnx else "int8"
    mode = "fp32" if fast is False else fast
    if mode not in FAST_MODES:
        raise ValueError(f"unknown fast mode {fast!r}; valid: False, True, {', '.join(map(repr, FAST_MODES))}")
    return mode


def _float32_output(module, args, output):
    """Forward hook of the transformer module: its bfloat16 outputs (token embeddings) as float32."""
    import torch
    for key, value in list(output.items()):
        if isinstance(value, torch.Tensor) and value.dtype == torch.bfloat16:
            output[key] = value.float()
    return output


def make_fast(model, mode: str, onnx_dir: Path, fingerprint: str):
    """Return ``model`` prepared for ``mode`` (changed in place; unchanged for ``"fp32"`` and ``"bf16-autocast"``)."""
    if mode in ("fp32", "bf16-autocast"):
        return model
    if mode == "bf16":
        import torch
        transformer = model[0]  # the sentence-transformers module that runs the Hugging Face model
        transformer.to(torch.bfloat16)
        transformer.register_forward_hook(_float32_output)  # pooling and normalisation stay fp32
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


def encoding_context(mode: str, device_type: str = "cpu"):
    """The context to run the model in: bfloat16 autocast for ``"bf16-autocast"``, else nothing."""
    if mode == "bf16-autocast":
        import torch
        return torch.autocast(device_type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
