"""Corpus encoding in parts: resumed after a kill, split over processes, never reusing a part of other documents."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from pyterrier_hybrid.retrieval import DenseEncoder, DenseIndex
from pyterrier_hybrid.retrieval.parts import Shard, parts_folder

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("en", "de", "zh")
DOCS = [{"docno": f"{LANGS[i % 3]}:{i}:0:0", "text": f"the red house number {i} stands near river {i % 7}"}
        for i in range(23)]
CHUNK = 4


def encoder_of(model_dir, cache) -> DenseEncoder:
    return DenseEncoder(model_dir, cache=cache, doc_prompt="passage: ", progress=False)


def contents(index: DenseIndex) -> tuple[list[str], np.ndarray, dict]:
    docnos, dvecs, _ = index.payload()
    return list(docnos.fwd[np.arange(len(index))]), np.array(dvecs), index.languages()


@pytest.fixture()
def reference(tiny_model_dir, tmp_path):
    return contents(DenseIndex(tmp_path / "ref", encoder_of(tiny_model_dir, False)).indexer(chunk_size=CHUNK)
                    .index(DOCS))


def test_parts_are_removed_and_vectors_match_encoder(reference, tiny_model_dir, tmp_path):
    docnos, vecs, langs = reference
    assert docnos == [d["docno"] for d in DOCS] and langs == {"de": 8, "en": 8, "zh": 7}
    expected = encoder_of(tiny_model_dir, False).encode_docs([d["text"] for d in DOCS])
    np.testing.assert_allclose(vecs, expected, atol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ref"]  # no parts folder, no temporary folder left


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], env=env, capture_output=True,
                          text=True, timeout=300)


_KILLED_AFTER = """
    import os, signal, sys
    from tests.retrieval.test_index_parts import DOCS, CHUNK, encoder_of
    from pyterrier_hybrid.retrieval import DenseIndex
    model, out, kill_after = sys.argv[1], sys.argv[2], int(sys.argv[3])
    def docs():
        for i, d in enumerate(DOCS):
            if i == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
            yield d
    DenseIndex(out, encoder_of(model, False)).indexer(chunk_size=CHUNK).index(docs())
"""


def test_killed_run_resumes_from_its_parts(reference, tiny_model_dir, tmp_path):
    out = tmp_path / "idx"
    killed = _run(_KILLED_AFTER, str(tiny_model_dir), str(out), str(3 * CHUNK + 1))
    assert killed.returncode == -9, killed.stderr
    encoder = encoder_of(tiny_model_dir, False)
    folder = parts_folder(out, encoder, CHUNK)
    assert sorted(p.name for p in folder.glob("part-*")) == [f"part-{c:09d}.npz" for c in range(3)]
    assert not out.exists()
    index = DenseIndex(out, encoder).indexer(chunk_size=CHUNK).index(DOCS)
    assert encoder.stats.encoded == len(DOCS) - 3 * CHUNK  # only the chunks the killed run had not finished
    docnos, vecs, langs = contents(index)
    assert (docnos, langs) == reference[::2] and not folder.parent.exists()
    np.testing.assert_allclose(vecs, reference[1], atol=1e-6)


_SHARD = """
    import sys
    from tests.retrieval.test_index_parts import DOCS, CHUNK, encoder_of
    from pyterrier_hybrid.retrieval import DenseIndex
    from pyterrier_hybrid.retrieval.parts import Shard
    model, out, shard = sys.argv[1], sys.argv[2], Shard.parse(sys.argv[3])
    index = DenseIndex(out, encoder_of(model, False)).indexer(chunk_size=CHUNK, shard=shard, wait_timeout=120).index(DOCS)
    print("built", len(index)) if shard.rank == 0 else print("parts written")
"""


def test_two_shards_write_one_index(reference, tiny_model_dir, tmp_path):
    out = tmp_path / "idx"
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(_SHARD), str(tiny_model_dir), str(out),
                               f"{rank}/2"], env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for rank in (0, 1)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert "built 23" in outputs[0][0] and "parts written" in outputs[1][0]
    docnos, vecs, langs = contents(DenseIndex(out))
    assert (docnos, langs) == reference[::2]
    np.testing.assert_allclose(vecs, reference[1], atol=1e-6)


def test_shard_zero_names_missing_parts_after_timeout(tiny_model_dir, tmp_path):
    indexer = DenseIndex(tmp_path / "idx", encoder_of(tiny_model_dir, False)).indexer(
        chunk_size=CHUNK, shard=Shard(0, 2), wait_timeout=0)
    with pytest.raises(TimeoutError, match=r"3 of 6 index parts still missing .*chunks 1, 3, 5"):
        indexer.index(DOCS)
    assert not (tmp_path / "idx").exists()  # its own parts stay for the next run
    assert len(list(indexer.parts.folder.glob("part-*"))) == 3


def test_changed_corpus_is_encoded_again(tiny_model_dir, tmp_path):
    encoder = encoder_of(tiny_model_dir, False)
    with pytest.raises(TimeoutError):
        DenseIndex(tmp_path / "idx", encoder).indexer(chunk_size=CHUNK, shard=Shard(0, 2), wait_timeout=0).index(DOCS)
    changed = [DOCS[1], DOCS[0], *DOCS[2:]]  # chunk 0 now holds the same documents in another order
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        index = DenseIndex(tmp_path / "idx", encoder).indexer(chunk_size=CHUNK).index(changed)
    assert any("corpus changed" in str(w.message) for w in caught)
    assert contents(index)[0] == [d["docno"] for d in changed]


def test_parts_of_another_model_are_not_reused(tiny_model_dir, tmp_path):
    encoder = encoder_of(tiny_model_dir, False)
    other = DenseEncoder(tiny_model_dir, cache=False, doc_prompt="other: ", progress=False)
    assert parts_folder(tmp_path / "idx", encoder, CHUNK) != parts_folder(tmp_path / "idx", other, CHUNK)
    assert parts_folder(tmp_path / "idx", encoder, CHUNK) != parts_folder(tmp_path / "idx", encoder, CHUNK + 1)


@pytest.mark.parametrize("text, message", [("1/1", "out of range"), ("2", "RANK/COUNT"), ("a/b", "RANK/COUNT")])
def test_bad_shard(text, message):
    with pytest.raises(ValueError, match=message):
        Shard.parse(text)


def test_shard_from_torchrun_environment(monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "3")
    assert Shard.from_env() == Shard(1, 3) and Shard.from_env().owns(4) and not Shard.from_env().owns(3)


def test_index_command_builds_a_dataset_index_in_shards(fixture_release, tiny_model_dir, tmp_path, capsys):
    import ir_datasets

    from pyterrier_hybrid.cli import main
    out = tmp_path / "idx"
    base = ["index", "--dataset", "mlqa-r/de", "--model", str(tiny_model_dir), "--out", str(out), "--chunk-size", "5"]
    main([*base, "--shard", "1/2"])
    assert not out.exists() and "parts written" in capsys.readouterr().out
    main([*base, "--shard", "0/2", "--wait-timeout", "0"])
    index = DenseIndex(out)
    assert len(index) == ir_datasets.load("mlqa-r/de").docs_count() and set(index.languages()) == {"de"}
    assert "indexed" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="did you mean mlqa-r/de"):
        main([*base[:2], "mlqa-r/dx", *base[3:]])
