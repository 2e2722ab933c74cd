"""Opt-in fast encoding; embeddings are approximate, so a fast model has its own fingerprint and cache.

Measured with multilingual-e5-small on a 2-core CPU with AMX-BF16 (throughput: ``benchmarks/bench_encoding.py``,
320 XQuAD-R sentences, modes interleaved over 5 rounds, ratio of medians to our fp32 path; mAP: the full
XQuAD-R matrix, ``pyterrier-hybrid evaluate --fast MODE``, fp32 macro mAP mono 0.7998, cross 0.6400,
multi 0.2984):

* ``"bf16"``: the transformer's weights are cast to bfloat16 and it runs in bfloat16 (oneDNN uses AMX /
  AVX512-BF16 where the CPU has them); its output is cast back to float32, so pooling and normalisation
  stay fp32. 2.09x fp32 (2.03x with a busy process competing for a core; 2.0-2.1x over several runs,
  but 1.45x in one run on an overloaded machine, load average ~4 on 2 cores);
  cosine to fp32 >= 0.99996; macro mAP -- mono +0.0003, cross +0.0005, multi +0.0010 (every setting within
  0.0043). What ``fast=True`` picks on a CPU with native bfloat16.
* ``"bf16-autocast"``: fp32 weights under ``torch.autocast`` bfloat16 (cosine >= 0.99998); 1.76x (1.72x
  under contention; 1.1-2.3x in other runs: more, smaller ops than ``"bf16"``, so it suffers more from a
  shared CPU). Its cache tag is ``bf16`` (the name this mode had before ``"bf16"`` meant bf16 weights).
* ``"onnx-int8"``: the transformer runs as an int8 ONNX Runtime graph (see ``onnx_fast``); needs the
  ``onnxruntime`` and ``onnx`` packages. 1.2x here (1.1-2.3x over runs); cosine ~0.997 (min 0.992) costs mAP:
  full XQuAD-R mono -0.004, cross -0.022, multi -0.020. Quantising only the FFN layers (attention fp32) gave
  the same agreement (0.9967) and no speed-up; only the FFN up-projection: cosine 0.9992 at 0.8x.
* ``"int8"``: ``torch.ao.quantization.quantize_dynamic`` of the Linear layers (weights per output
  channel); no extra packages, ~1.5x, lower agreement (cosine ~0.988).

Without native bfloat16 (bf16 would be emulated, slower than fp32), ``fast=True`` falls back to ``"onnx-int8"``
when ONNX Runtime is installed, else ``"int8"``: faster than fp32 but outside a 0.01 mAP tolerance.
"""
from __future__ import annotations

import contextlib
import functools
import importlib.util
import platform
from pathlib import Path

FAST_MODES = ("fp32", "bf16", "bf16-autocast", "int8", "onnx-int8")

# The cache/fingerprint tag of each mode. "bf16" once meant autocast, so its caches hold autocast vectors:
# they keep that tag, and the bf16-weights mode gets a new one.
_TAGS = {"bf16": "bf16w", "bf16-autocast": "bf16"}


def fingerprint_tag(mode: str) -> str:
    """The suffix of a fast mode in the encoder's fingerprint (and so in its cache folder)."""
    return _TAGS.get(mode, mode)


@functools.cache
def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (x86 AMX-BF16 / AVX512-BF16, Arm BF16)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux: Apple silicon from M2 on has BF16; otherwise assume not
        return platform.system() == "Darwin" and platform.machine() == "arm64"
    words = set(flags.split())
    return bool(words & {"amx_bf16", "avx512_bf16", "bf16"})


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
