"""Where training checkpoints go, when they are written, and which one a resumed run takes.

* **Where**: ``<output_dir>.checkpoints/``, beside the model, never inside it: a saved model directory holds
  the model only (its fingerprint, copies and the embedding cache do not depend on optimizer state).
* **When**: by default (``TrainConfig.save_steps=None``) a checkpoint once ``checkpoint_minutes`` have passed
  since the last one, so a run shorter than that writes none; an explicit ``save_steps`` saves by steps. Only the
  last complete checkpoint is kept (and the best, when validating).
* **Resume**: from the last *complete* checkpoint (its ``trainer_state.json`` is written last); checkpoints a
  kill interrupted while they were being written are removed with a warning.
"""
from __future__ import annotations

import logging
import re
import shutil
import time
from pathlib import Path

logger = logging.getLogger(__name__)
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
COMPLETE_MARKER = "trainer_state.json"  # the trainer writes it after the model, optimizer and RNG state


def checkpoint_dir(output_dir: str | Path) -> Path:
    """The checkpoints of the model trained into ``output_dir``: a sibling folder, ``<output_dir>.checkpoints``."""
    output_dir = Path(output_dir)
    return output_dir.with_name(f"{output_dir.name}.checkpoints")


def last_complete_checkpoint(folder: str | Path) -> Path | None:
    """The highest-numbered complete checkpoint in ``folder``; incomplete ones above it are removed (warned)."""
    folder = Path(folder)
    found = sorted(((int(m.group(1)), p) for p in folder.glob("checkpoint-*") if p.is_dir()
                    and (m := _CHECKPOINT.match(p.name))), reverse=True)
    for _, path in found:
        if (path / COMPLETE_MARKER).exists():
            return path
        logger.warning("removing %s: an interrupted save left it incomplete (no %s)", path, COMPLETE_MARKER)
        shutil.rmtree(path, ignore_errors=True)
    return None


def timed_checkpoints(minutes: float):
    """A ``TrainerCallback`` asking for a checkpoint whenever ``minutes`` have passed since the last one (or since
    the start), except at the last step, whose model is saved as the result."""
    from transformers import TrainerCallback

    class TimedCheckpoints(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            self.last = time.monotonic()

        def on_step_end(self, args, state, control, **kwargs):
            if time.monotonic() - self.last >= minutes * 60 and state.global_step < state.max_steps:
                control.should_save = True
                self.last = time.monotonic()

    return TimedCheckpoints()
