"""Run under ``torchrun``: a few hybrid training steps of a model; write the item ids of each batch this rank got.

    python -m torch.distributed.run --nproc_per_node 2 distributed_train.py MODEL_DIR OUT_DIR STEPS BATCH_SIZE

Writes ``OUT_DIR/rank{R}.json``: ``{"world_size", "gather_across_devices", "batches"}``, batches as lists of
item ids in training order. The batches are recorded where accelerate deals the sampler's batches to the
ranks (``BatchSamplerShard``), so they are exactly what this rank's data loader fetched.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
from accelerate.data_loader import BatchSamplerShard

from pyterrier_hybrid.training import PairKeys, train
from test_train import synthetic

train_module = importlib.import_module("pyterrier_hybrid.training.train")  # the package's ``train`` is the function


def main(model_dir: str, out_dir: str, steps: int, batch_size: int) -> None:
    data = synthetic(48)
    dealt: list[list[int]] = []
    losses: list[torch.nn.Module] = []
    shard_iter, make_loss = BatchSamplerShard.__iter__, train_module.make_loss

    def recording_iter(self):
        for batch in shard_iter(self):
            dealt.append(list(batch))
            yield batch

    def recording_loss(*args, **kwargs):
        losses.append(make_loss(*args, **kwargs))
        return losses[-1]

    BatchSamplerShard.__iter__ = recording_iter
    train_module.make_loss = recording_loss
    train(model_dir, data, "hybrid", output_dir=Path(out_dir) / "model", batch_size=batch_size, max_steps=steps,
          save_steps=steps + 1, device="cpu", seed=0)

    item_ids = np.array(data.table["item_id"].to_pylist())
    pairs = PairKeys(data)
    batches = [item_ids[pairs.question_rows(np.array(keys))].tolist() for keys in dealt[:steps]]  # loader reads ahead
    record = {"world_size": int(os.environ["WORLD_SIZE"]), "gather_across_devices": losses[0].gather_across_devices,
              "batches": batches}
    (Path(out_dir) / f"rank{os.environ['RANK']}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
