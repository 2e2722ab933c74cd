"""A sentence-transformers model's Hugging Face encoder as an exported graph (ONNX Runtime, OpenVINO).

:class:`LastHiddenState` is what gets exported; a :class:`GraphModel` then stands in for the Hugging Face model
inside the sentence-transformers ``Transformer`` module, so tokenisation, prompts, pooling and normalisation stay
sentence-transformers' own. Inputs are ``input_ids`` and ``attention_mask`` (token type ids are all zero for
single texts, the exported default).
"""
from __future__ import annotations

import numpy as np
import torch

GRAPH_INPUTS: tuple[str, ...] = ("input_ids", "attention_mask")


class LastHiddenState(torch.nn.Module):
    """A Hugging Face encoder as a module of (input_ids, attention_mask) -> last_hidden_state, for graph export."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask, return_dict=True).last_hidden_state


def example_inputs() -> dict[str, torch.Tensor]:
    """A small batch of :data:`GRAPH_INPUTS` to trace the export with (batch and length stay dynamic)."""
    ids = torch.ones((2, 8), dtype=torch.long)
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}


class GraphModel(torch.nn.Module):
    """Stands in for a Hugging Face encoder: :meth:`run` computes ``last_hidden_state`` from int64 arrays."""

    def __init__(self, config):
        super().__init__()
        self.config = config

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """``last_hidden_state`` (batch x length x hidden) for ``inputs`` (:data:`GRAPH_INPUTS`, int64)."""
        raise NotImplementedError

    def forward(self, input_ids, attention_mask, **kwargs):
        from transformers.modeling_outputs import BaseModelOutput
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        hidden = self.run({name: value.cpu().numpy().astype(np.int64) for name, value in inputs.items()})
        return BaseModelOutput(last_hidden_state=torch.from_numpy(np.asarray(hidden)))
