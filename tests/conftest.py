"""Shared fixtures: a tiny model built once per test session, and the real data when present."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Each test session gets its own ir_datasets home (set before anything imports ir_datasets, whose
# MIRACL loaders fix their paths at import), so tests never touch or depend on the user's cache.
os.environ["IR_DATASETS_HOME"] = tempfile.mkdtemp(prefix="irds_home_")

SHARED_LAREQA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lareqa"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """Path of a tiny 2-layer BERT sentence-transformers model (see tests/tiny_model.py)."""
    from tiny_model import build_tiny_model
    return build_tiny_model(tmp_path_factory.mktemp("tiny_model"))


@pytest.fixture(scope="session")
def lareqa_mirror() -> Path:
    """The real LAReQA files (``PYTERRIER_HYBRID_LAREQA`` or ../shared/data/lareqa); skips when absent."""
    path = Path(os.environ.get("PYTERRIER_HYBRID_LAREQA", SHARED_LAREQA))
    if not (path / "xquad-r" / "en.json").exists():
        pytest.skip(f"real LAReQA data not found at {path} (set PYTERRIER_HYBRID_LAREQA to a folder "
                    "holding xquad-r/ and mlqa-r/)")
    return path


def _use_release(root: Path, families: tuple[str, ...], monkeypatch) -> Path:
    from datasets_ext import lareqa_source
    from lareqa_fixture import write_release
    for key, entry in write_release(root, families).items():
        monkeypatch.setitem(lareqa_source.MANIFEST, key, entry)
    monkeypatch.setenv(lareqa_source.MIRROR_ENV, str(root))
    return root


@pytest.fixture
def fixture_release(tmp_path, monkeypatch) -> Path:
    """A small MLQA-R-shaped release (tests/lareqa_fixture.py) used as the mirror, the manifest pinned to it."""
    return _use_release(tmp_path / "mirror", ("mlqa-r",), monkeypatch)


@pytest.fixture
def two_family_release(tmp_path, monkeypatch) -> Path:
    """Small MLQA-R- and XQuAD-R-shaped releases, for zero-shot studies that train on one and evaluate on the other."""
    return _use_release(tmp_path / "mirror", ("mlqa-r", "xquad-r"), monkeypatch)
