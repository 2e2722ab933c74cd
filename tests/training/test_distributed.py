"""train() under ``torchrun --nproc_per_node 2`` on CPU (gloo): distinct batches per rank, no item twice globally."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch.distributed

STEPS, BATCH_SIZE = 4, 8


def free_port() -> int:
    """A TCP port free right now on localhost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason="torch.distributed has no gloo backend")
def test_two_ranks_get_distinct_batches_without_global_duplicates(tiny_model_dir, tmp_path):
    script = Path(__file__).with_name("distributed_train.py")
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
               "--master_port", str(free_port()), str(script), str(tiny_model_dir), str(tmp_path), str(STEPS),
               str(BATCH_SIZE)]
    run = subprocess.run(command, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
                         timeout=240)
    assert run.returncode == 0, f"torchrun failed ({run.returncode}):\n{run.stderr[-4000:]}"

    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert all(rank["world_size"] == 2 and rank["gather_across_devices"] for rank in ranks)
    batches = [rank["batches"] for rank in ranks]
    assert [len(b) for b in batches] == [STEPS, STEPS] and all(len(batch) == BATCH_SIZE for b in batches for batch in b)
    assert all(a != b for a, b in zip(*batches)), "both ranks got the same batch"
    for step, (a, b) in enumerate(zip(*batches)):
        assert len(set(a + b)) == len(a) + len(b), f"an item twice in the global batch of step {step}"
