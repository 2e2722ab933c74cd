"""ONNX Runtime int8 backend: the model's transformer runs as a dynamically quantised ONNX graph.

The Hugging Face model inside the sentence-transformers ``Transformer`` module is exported once
(legacy TorchScript exporter, dynamic batch and length), quantised with ONNX Runtime
(int8 weights per channel, activations per batch) and saved atomically under ``onnx_dir``; it then
replaces the torch model, so tokenisation, prompts, pooling and normalisation stay
sentence-transformers' own. Inputs are ``input_ids`` and ``attention_mask``
(token type ids are all zero for single texts, the exported default).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import torch

from pyterrier_hybrid.core.atomic import atomic_path


class LastHiddenState(torch.nn.Module):
    """A Hugging Face encoder as a module of (input_ids, attention_mask) -> last_hidden_state, for graph export."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask, return_dict=True).last_hidden_state


class OrtModel(torch.nn.Module):
    """Stands in for a Hugging Face encoder: runs an ONNX Runtime session, returns ``last_hidden_state``."""

    def __init__(self, onnx_file: Path, config):
        super().__init__()
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.config = config

    def forward(self, input_ids, attention_mask, **kwargs):
        from transformers.modeling_outputs import BaseModelOutput
        hidden, = self.session.run(None, {"input_ids": input_ids.cpu().numpy().astype("int64"),
                                          "attention_mask": attention_mask.cpu().numpy().astype("int64")})
        return BaseModelOutput(last_hidden_state=torch.from_numpy(hidden))


def _export_quantised(hf_model, out_file: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic
    ids = torch.ones((2, 8), dtype=torch.long)
    axes = {"input_ids": {0: "batch", 1: "length"}, "attention_mask": {0: "batch", 1: "length"},
            "last_hidden_state": {0: "batch", 1: "length"}}
    with tempfile.TemporaryDirectory(dir=out_file.parent) as scratch, atomic_path(out_file) as int8:
        fp32 = Path(scratch) / "fp32.onnx"  # the unquantised export, a step on the way only
        torch.onnx.export(LastHiddenState(hf_model).eval(), (ids, torch.ones_like(ids)), str(fp32), dynamo=False,
                          input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=17)
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)


def use_onnx_int8(model, onnx_dir: Path, fingerprint: str):
    """Swap the transformer of a SentenceTransformer for a quantised ONNX Runtime session (cached by fingerprint)."""
    transformer = model[0]
    out_file = Path(onnx_dir) / f"{fingerprint}-int8.onnx"
    if not out_file.exists():
        out_file.parent.mkdir(parents=True, exist_ok=True)
        _export_quantised(transformer.model, out_file)
    transformer.model = OrtModel(out_file, transformer.model.config)
    return model
