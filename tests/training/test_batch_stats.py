"""batch_stats.json counts the batches the trainer trained on, not the ones its data loader read ahead."""
from __future__ import annotations

import json

from pyterrier_hybrid.training import train
from test_train import synthetic


def test_a_run_stopped_mid_epoch_counts_exactly_its_steps(tiny_model_dir, tmp_path):
    # 24 items x 3 languages: an epoch of hybrid batches of 4 is far longer than 5 steps
    train(str(tiny_model_dir), synthetic(24), strategy="hybrid", steps=5, batch_size=4, output_dir=tmp_path / "m",
          device="cpu", save_steps=100)
    stats = json.loads((tmp_path / "m" / "batch_stats.json").read_text())
    assert sum(stats["batch_types"].values()) == 5  # before: 6 (one batch read ahead)
    assert sum(stats["language_pairs"].values()) == 5 * 4
