"""The one atomic-write helper: whole files or nothing, folders swapped in whole, locked builds."""
from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path

import pytest

from pyterrier_hybrid.core.atomic import (atomic_directory, atomic_open, atomic_path, atomic_write_json,
                                          atomic_write_text, build_directory)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path):
    target = tmp_path / "sub" / "a.json"
    atomic_write_json(target, {"v": 1})
    with pytest.raises(RuntimeError):
        with atomic_open(target, "t") as f:
            f.write("{half")
            raise RuntimeError("killed")
    assert json.loads(target.read_text()) == {"v": 1}
    assert _leftovers(target.parent) == []


def test_text_is_utf8_whatever_the_locale(tmp_path, monkeypatch):
    monkeypatch.setenv("LC_ALL", "C")
    atomic_write_text(tmp_path / "t.txt", "Grüße 北京")
    assert (tmp_path / "t.txt").read_bytes() == "Grüße 北京".encode("utf-8")


def test_atomic_path_renames_on_success_only(tmp_path):
    with atomic_path(tmp_path / "x.bin") as tmp:
        tmp.write_bytes(b"ok")
    assert (tmp_path / "x.bin").read_bytes() == b"ok"
    with pytest.raises(ValueError), atomic_path(tmp_path / "y.bin") as tmp:
        tmp.write_bytes(b"partial")
        raise ValueError
    assert not (tmp_path / "y.bin").exists() and _leftovers(tmp_path) == []


def test_a_directory_is_swapped_in_whole(tmp_path):
    target = tmp_path / "index"
    with atomic_directory(target) as tmp:
        (tmp / "a").write_text("1")
    with pytest.raises(KeyError), atomic_directory(target) as tmp:
        (tmp / "a").write_text("2")
        raise KeyError
    assert (target / "a").read_text() == "1"  # the failed rebuild left the old one
    with atomic_directory(target) as tmp:
        (tmp / "b").write_text("3")
    assert sorted(p.name for p in target.iterdir()) == ["b"]
    assert _leftovers(tmp_path) == []


def _slow_build(target: str, log: str) -> None:
    def build(tmp: Path) -> None:
        with open(log, "a") as f:
            f.write("built\n")
        time.sleep(1.0)
        (tmp / "done").write_text("x")
    build_directory(target, build, is_complete=lambda p: (p / "done").exists())


def test_two_processes_build_once(tmp_path):
    target, log = tmp_path / "model", tmp_path / "log"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_slow_build, args=(str(target), str(log))) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert log.read_text() == "built\n"  # the second found the work done
    assert (target / "done").exists()


def test_a_killed_build_leaves_no_lasting_trace(tmp_path):
    target = tmp_path / "model"
    stale = tmp_path / ".model.tmp-deadbeef"
    stale.mkdir()
    with pytest.raises(OSError):
        build_directory(target, lambda tmp: (_ for _ in ()).throw(OSError("disk full")), is_complete=Path.exists)
    assert not target.exists() and not stale.exists()
    assert build_directory(target, lambda tmp: (tmp / "f").write_text("1"), is_complete=Path.exists) == target
