"""ONNX Runtime int8 backend: the model's transformer runs as a dynamically quantised ONNX graph.

The Hugging Face model inside the sentence-transformers ``Transformer`` module is exported once
(legacy TorchScript exporter, dynamic batch and length), quantised with ONNX Runtime
(int8 weights per channel, activations per batch) and saved atomically under ``export_dir``; a
:class:`~.graph_model.GraphModel` running it then replaces the torch model.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch

from pyterrier_hybrid.core.atomic import atomic_path
from pyterrier_hybrid.retrieval.graph_model import GRAPH_INPUTS, GraphModel, LastHiddenState, example_inputs


class OrtModel(GraphModel):
    """A Hugging Face encoder's stand-in that runs an ONNX Runtime session."""

    def __init__(self, onnx_file: Path, config):
        super().__init__(config)
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, inputs)[0]


def _export_quantised(hf_model, out_file: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic
    axes = {name: {0: "batch", 1: "length"} for name in (*GRAPH_INPUTS, "last_hidden_state")}
    with tempfile.TemporaryDirectory(dir=out_file.parent) as scratch, atomic_path(out_file) as int8:
        fp32 = Path(scratch) / "fp32.onnx"  # the unquantised export, a step on the way only
        torch.onnx.export(LastHiddenState(hf_model).eval(), tuple(example_inputs().values()), str(fp32),
                          dynamo=False, input_names=list(GRAPH_INPUTS), output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=17)
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)


def use_onnx_int8(model, export_dir: Path, fingerprint: str):
    """Swap the transformer of a SentenceTransformer for a quantised ONNX Runtime session (cached by fingerprint)."""
    transformer = model[0]
    out_file = Path(export_dir) / f"{fingerprint}-int8.onnx"
    if not out_file.exists():
        out_file.parent.mkdir(parents=True, exist_ok=True)
        _export_quantised(transformer.model, out_file)
    transformer.model = OrtModel(out_file, transformer.model.config)
    return model
