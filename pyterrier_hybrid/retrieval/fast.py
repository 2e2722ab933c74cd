"""Opt-in fast encoding; a fast model has its own fingerprint and cache (most modes are approximate).

* ``"openvino"``: the transformer runs as an OpenVINO model at fp32 (``openvino_fast``): the same vectors as torch
  (cosine 1.000000, mAP unchanged), faster. Needs the ``openvino`` package (the ``fast`` extra).
* ``"openvino-int8"``: that model statically quantised to int8 by NNCF, calibrated on the training family's texts
  (``openvino_fast.default_calibration``, or the encoder's ``calibration``). The fastest mode, and the only
  int8 one within 0.005 mAP of fp32 per setting kind on XQuAD-R. Needs ``openvino`` and ``nncf``.
* ``"bf16"``: the transformer's weights are cast to bfloat16 and it runs in bfloat16 (oneDNN uses AMX /
  AVX512-BF16 where the CPU has them); its output is cast back to float32, so pooling and normalisation
  stay fp32.
* ``"bf16-autocast"``: fp32 weights under ``torch.autocast`` bfloat16.
* ``"onnx-int8"``: the transformer runs as a dynamically quantised int8 ONNX Runtime graph (see ``onnx_fast``);
  needs the ``onnxruntime`` and ``onnx`` packages. Loses up to 0.014 mAP cross-lingually.
* ``"int8"``: ``torch.ao.quantization.quantize_dynamic`` of the Linear layers (weights per output
  channel); no extra packages. Loses up to 0.06 mAP.

``fast=True`` picks the fastest mode within its accuracy bound (:data:`ACCURATE_BY_SPEED`): ``openvino-int8`` where
OpenVINO and NNCF are installed, else ``bf16`` on a CPU that computes bfloat16 natively (emulated bf16 is slower than
fp32), else ``openvino``, else exact torch ``fp32``. Speed and agreement of each mode: ``benchmarks/README.md``.
"""
from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Sequence
from pathlib import Path

from pyterrier_hybrid.core.cpu import native_bf16

FAST_MODES = ("fp32", "openvino", "openvino-int8", "bf16", "bf16-autocast", "int8", "onnx-int8")
#: Modes within their accuracy bound (exact-enough fp32: cosine >= 0.99999; int8 and bf16: |ΔmAP| <= 0.005 per
#: setting kind), fastest first, with the packages each needs; ``fast=True`` takes the first usable one.
ACCURATE_BY_SPEED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("openvino-int8", ("openvino", "nncf")), ("bf16", ()), ("openvino", ("openvino",)), ("fp32", ()))

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
        return next(mode for mode, packages in ACCURATE_BY_SPEED
                    if all(importlib.util.find_spec(p) is not None for p in packages)
                    and (mode != "bf16" or native_bf16()))
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


def make_fast(model, mode: str, export_dir: Path, fingerprint: str, calibration: Sequence[str] | None = None):
    """Return ``model`` prepared for ``mode`` (changed in place; unchanged for ``"fp32"`` and ``"bf16-autocast"``).
    Exported graphs are kept in ``export_dir``; ``calibration`` (texts with prompts) is what ``"openvino-int8"`` is
    calibrated on."""
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
        return use_onnx_int8(model, export_dir, fingerprint)
    if mode in ("openvino", "openvino-int8"):
        if mode == "openvino-int8" and not calibration:
            raise ValueError("fast mode 'openvino-int8' needs calibration texts")
        from pyterrier_hybrid.retrieval.openvino_fast import use_openvino
        return use_openvino(model, export_dir, fingerprint, calibration if mode == "openvino-int8" else None)
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
