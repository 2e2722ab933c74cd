"""User errors end in one line (the traceback behind --debug), and degenerate arguments fail before any work."""
from __future__ import annotations

import pytest

from pyterrier_hybrid.cli import main


def test_a_checksum_mismatch_is_one_line(fixture_release, monkeypatch):
    import dataclasses
    from datasets_ext import lareqa_source
    entry = lareqa_source.MANIFEST["mlqa-r/de.json"]  # the mirror's file no longer matches the pinned md5
    monkeypatch.setitem(lareqa_source.MANIFEST, "mlqa-r/de.json", dataclasses.replace(entry, md5="0" * 32))
    with pytest.raises(SystemExit) as exit_info:
        main(["datasets", "--show", "mlqa-r/de-en"])
    message = str(exit_info.value)
    assert "checksum mismatch" in message and "\n" not in message and "--debug" in message
    with pytest.raises(OSError, match="checksum mismatch"):  # the whole story, when asked for
        main(["--debug", "datasets", "--show", "mlqa-r/de-en"])


@pytest.mark.parametrize("argv, message", [
    (["--encode-batch-size", "0"], "must be a positive integer"),
    (["--eval-max-seq-length", "0"], "must be positive"),
])
def test_degenerate_evaluation_arguments_fail_before_work(fixture_release, tiny_model_dir, tmp_path, argv, message,
                                                          capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--dataset", "mlqa-r", "--model", str(tiny_model_dir), "--out", str(tmp_path / "o"), *argv])
    assert message in str(exit_info.value) + capsys.readouterr().err  # argparse prints its own errors
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("argv, message", [
    (["--steps", "0"], "steps must be >= 1"), (["--epochs", "0"], "epochs must be > 0"),
    (["--batch-size", "1"], "batch_size must be >= 2"), (["--lr", "-1"], "learning_rate must be > 0"),
])
def test_degenerate_training_arguments_fail_before_work(tmp_path, argv, message):
    with pytest.raises(SystemExit, match=message):
        main(["train", "some-model", "mlqa-r", "--out", str(tmp_path / "m"), *argv])
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("command", [
    ["evaluate", "--dataset", "mlqa-r", "--out", "{blocked}/out"],
    ["reproduce", "--quick", "--out", "{blocked}/out"],
    ["train", "m", "mlqa-r", "--out", "{blocked}/sub/model"],
])
def test_an_unwritable_output_fails_before_any_work_in_one_line(tmp_path, command):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(SystemExit, match="is not a writable folder"):  # before: a traceback after all the work
        main([part.format(blocked=blocked) for part in command])


def test_an_evaluation_of_no_system_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="nothing to evaluate"):
        main(["evaluate", "--dataset", "mlqa-r", "--no-bm25", "--out", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()


def test_an_unwritable_cache_fails_before_any_work(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("PYTERRIER_HYBRID_CACHE", str(blocked / "cache"))
    with pytest.raises(SystemExit, match=r"embedding cache \(\$PYTERRIER_HYBRID_CACHE\).*not a writable folder"):
        main(["evaluate", "--dataset", "mlqa-r", "--no-bm25", "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit, match="model cache"):
        main(["model"])
