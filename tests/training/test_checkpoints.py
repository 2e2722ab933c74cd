"""Checkpoints: beside the model, never inside it; none for short runs; only the last complete one kept; a resume
takes the last complete checkpoint even when a kill interrupted a later save."""
from __future__ import annotations

import logging
import shutil

from pyterrier_hybrid.training import train
from pyterrier_hybrid.training.checkpoints import checkpoint_dir, last_complete_checkpoint
from test_train import synthetic


def test_a_short_run_writes_no_checkpoint_and_the_model_folder_holds_the_model_only(tiny_model_dir, tmp_path):
    train(str(tiny_model_dir), synthetic(24), strategy="xx", steps=4, batch_size=8, output_dir=tmp_path / "m",
          device="cpu")
    assert (tmp_path / "m" / "model.safetensors").exists() and not (tmp_path / "m" / "checkpoints").exists()
    assert not any(checkpoint_dir(tmp_path / "m").glob("checkpoint-*"))  # before: 4-step runs saved at 500 steps
    # only when minutes have passed: with a tiny interval every step but the last saves, and one is kept
    train(str(tiny_model_dir), synthetic(24), strategy="xx", steps=4, batch_size=8, output_dir=tmp_path / "t",
          device="cpu", checkpoint_minutes=1e-6)
    assert [p.name for p in checkpoint_dir(tmp_path / "t").iterdir()] == ["checkpoint-3"]


def test_resume_takes_the_last_complete_checkpoint(tiny_model_dir, tmp_path, caplog):
    out = tmp_path / "m"
    train(str(tiny_model_dir), synthetic(24), strategy="xx", steps=4, batch_size=8, output_dir=out, device="cpu",
          save_steps=2)
    folder = checkpoint_dir(out)
    assert [p.name for p in folder.iterdir()] == ["checkpoint-4"]  # the last only
    # a kill inside the save of checkpoint-6: its model is written, its trainer state is not
    shutil.copytree(folder / "checkpoint-4", folder / "checkpoint-6")
    (folder / "checkpoint-6" / "trainer_state.json").unlink()
    with caplog.at_level(logging.WARNING):
        assert last_complete_checkpoint(folder) == folder / "checkpoint-4"  # before: the trainer took checkpoint-6
    assert "interrupted save" in caplog.text and not (folder / "checkpoint-6").exists()
    shutil.copytree(folder / "checkpoint-4", folder / "checkpoint-6")
    (folder / "checkpoint-6" / "trainer_state.json").unlink()
    train(str(tiny_model_dir), synthetic(24), strategy="xx", steps=6, batch_size=8, output_dir=out, device="cpu",
          save_steps=2, resume=True)
    assert (out / "model.safetensors").exists()
