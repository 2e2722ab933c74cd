"""DenseEncoder: prompts, exactness against SentenceTransformer.encode, the persistent cache, bad input."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sentence_transformers import SentenceTransformer

from pyterrier_hybrid.retrieval import DenseEncoder, EmbeddingCache, default_cache_dir
from pyterrier_hybrid.retrieval.cache import text_key

TEXTS = ["the red house stands near the river", "eleven players", "das rote Haus", "红房子在河边", "elf Spieler"]


@pytest.fixture()
def encoder(tiny_model_dir, tmp_path):
    return DenseEncoder(tiny_model_dir, cache=tmp_path / "cache", progress=False)


@pytest.fixture(scope="module")
def st_model(tiny_model_dir):
    return SentenceTransformer(str(tiny_model_dir), device="cpu")


def test_embeddings_equal_sentence_transformers(encoder, st_model):
    ours = encoder.encode(TEXTS, "passage: ")
    theirs = st_model.encode(TEXTS, prompt="passage: ", batch_size=32)
    assert ours.dtype == np.float32 and ours.shape == (len(TEXTS), encoder.embedding_dim)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(alphabet="ab 红房子das", max_size=40), max_size=60),
       batch_size=st.integers(1, 9))
def test_length_batches_cover_every_text_once_with_little_padding(encoder, texts, batch_size):
    batches = encoder._length_batches(texts, batch_size)
    assert sorted(i for b in batches for i in b) == list(range(len(texts)))
    lengths = encoder.model.tokenizer(texts, truncation=True, max_length=encoder.max_seq_length,
                                      return_length=True)["length"] if texts else []
    firsts = [lengths[b[0]] for b in batches]
    assert firsts == sorted(firsts, reverse=True)  # longest first
    for b in batches:
        assert 1 <= len(b) <= batch_size and max(lengths[i] for i in b) == lengths[b[0]]
        assert min(lengths[i] for i in b) >= 0.8 * lengths[b[0]]  # padding under a fifth of the batch's tokens


def test_length_batches_give_the_vectors_of_sentence_transformers(tiny_model_dir, tmp_path, st_model):
    texts = [w * n for n in range(1, 12) for w in ("house ", "红", "Spieler ")]
    for cache in (tmp_path / "cache", False):
        ours = DenseEncoder(tiny_model_dir, cache=cache, progress=False, batch_size=4).encode(texts, "passage: ")
        np.testing.assert_allclose(ours, st_model.encode(texts, prompt="passage: "), atol=1e-5)


def test_prompts_explicit_named_and_model_default(tiny_model_dir, tmp_path):
    model = SentenceTransformer(str(tiny_model_dir), device="cpu",
                                prompts={"query": "query: ", "document": "passage: ", "short": "q: "})
    model_dir = tmp_path / "prompted"
    model.save(str(model_dir))
    default = DenseEncoder(model_dir, cache=False, progress=False)
    assert (default.query_prompt, default.doc_prompt) == ("query: ", "passage: ")
    named = DenseEncoder(model_dir, cache=False, query_prompt_name="short", progress=False)
    assert named.query_prompt == "q: "
    explicit = DenseEncoder(model_dir, cache=False, query_prompt="", doc_prompt="d: ", progress=False)
    assert (explicit.query_prompt, explicit.doc_prompt) == ("", "d: ")
    np.testing.assert_allclose(named.encode_queries(["red house"]),
                               model.encode(["red house"], prompt="q: "), atol=1e-5)
    with pytest.raises(ValueError, match="valid names: query, document, short"):
        DenseEncoder(model_dir, cache=False, query_prompt_name="nope")


def test_second_encoder_encodes_nothing(tiny_model_dir, tmp_path):
    first = DenseEncoder(tiny_model_dir, cache=tmp_path, query_prompt="query: ", progress=False)
    a = first.encode_queries(TEXTS)
    assert first.stats.encoded == len(TEXTS)
    second = DenseEncoder(tiny_model_dir, cache=tmp_path, query_prompt="query: ", progress=False)
    b = second.encode_queries(list(reversed(TEXTS)))
    assert second.stats.encoded == 0 and second.stats.cache_hits == len(TEXTS)
    np.testing.assert_array_equal(a, b[::-1])


def test_duplicates_are_encoded_once(encoder):
    vecs = encoder.encode_docs(TEXTS + TEXTS[:2] + TEXTS)
    assert encoder.stats.encoded == len(TEXTS)
    assert encoder.stats.requested == 2 * len(TEXTS) + 2
    np.testing.assert_array_equal(vecs[:len(TEXTS)], vecs[-len(TEXTS):])
    assert encoder.encode_docs([]).shape == (0, encoder.embedding_dim)


def test_cache_key_has_prompt_and_max_seq_length(tiny_model_dir, tmp_path):
    enc = DenseEncoder(tiny_model_dir, cache=tmp_path, progress=False)
    enc.encode(TEXTS, "query: ")
    enc.encode(TEXTS, "passage: ")
    assert enc.stats.encoded == 2 * len(TEXTS)
    short = DenseEncoder(tiny_model_dir, cache=tmp_path, max_seq_length=4, progress=False)
    short.encode(TEXTS, "query: ")
    assert short.max_seq_length == 4 and short.stats.encoded == len(TEXTS)


def test_fingerprint_follows_weights(tiny_model_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_model_dir, copy)
    a = DenseEncoder(tiny_model_dir, cache=tmp_path / "c", progress=False)
    b = DenseEncoder(copy, cache=tmp_path / "c", progress=False)
    assert a.fingerprint == b.fingerprint  # content, not location
    (copy / "config_sentence_transformers.json").write_text(
        (copy / "config_sentence_transformers.json").read_text().replace("{", '{"x": 1,', 1))
    assert DenseEncoder(copy, cache=tmp_path / "c", progress=False).fingerprint != a.fingerprint
    in_memory = DenseEncoder(SentenceTransformer(str(tiny_model_dir), device="cpu"), cache=False, progress=False)
    assert in_memory.fingerprint.endswith("-fp32") and len(in_memory.fingerprint) == len(a.fingerprint)


def test_cache_writes_are_atomic_and_bad_shards_ignored(tmp_path):
    cache = EmbeddingCache(tmp_path, "fp", "p", 8)
    cache.put([text_key("a"), text_key("b")], np.ones((2, 3)))
    files = sorted(p.name for p in cache.path.iterdir())
    assert len(files) == 2 and files[0] == "namespace.json" and files[1].startswith("shard-")
    (cache.path / "shard-broken.npz").write_bytes(b"not a zip")  # e.g. a disk error
    with pytest.warns(UserWarning, match="unreadable"):
        again = EmbeddingCache(tmp_path, "fp", "p", 8)
    assert len(again) == 2 and again.get([text_key("c")]) == [None]
    assert EmbeddingCache(tmp_path, "fp", "p", 16).path != cache.path


def test_cache_round_trips_keys_with_trailing_nul_bytes(tmp_path):
    keys = [b"\x01" * 15 + b"\x00", b"\x00" * 16, b"\x02" * 16]
    EmbeddingCache(tmp_path, "fp", "p", 8).put(keys, np.arange(6).reshape(3, 2))
    loaded = EmbeddingCache(tmp_path, "fp", "p", 8).get(keys)
    np.testing.assert_array_equal(np.stack(loaded), np.arange(6).reshape(3, 2))


def test_cache_dir_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv("PYTERRIER_HYBRID_CACHE", str(tmp_path / "env"))
    assert default_cache_dir() == tmp_path / "env"
    monkeypatch.delenv("PYTERRIER_HYBRID_CACHE")
    assert default_cache_dir().parts[-3:] == (".cache", "pyterrier_hybrid", "embeddings")


def test_memory_only_cache(tiny_model_dir, tmp_path):
    enc = DenseEncoder(tiny_model_dir, cache=False, progress=False)
    enc.encode_docs(TEXTS)
    enc.encode_docs(TEXTS)
    assert enc.stats.encoded == len(TEXTS) and enc.cache_for(enc.doc_prompt).path is None


@pytest.mark.parametrize("mode", ["bf16", "bf16-autocast", "int8", "onnx-int8"])
def test_fast_mode_is_close_and_cached_separately(tiny_model_dir, tmp_path, mode):
    if mode == "onnx-int8":
        pytest.importorskip("onnxruntime")
    exact = DenseEncoder(tiny_model_dir, cache=tmp_path, progress=False)
    fast = DenseEncoder(tiny_model_dir, cache=tmp_path, fast=mode, progress=False)
    assert fast.fast == mode and fast.fingerprint != exact.fingerprint
    a, b = exact.encode_docs(TEXTS), fast.encode_docs(TEXTS)
    assert fast.stats.encoded == len(TEXTS) and exact.stats.encoded == len(TEXTS)
    assert (a * b).sum(1).min() > 0.9  # normalised embeddings: cosine agreement
    if mode == "bf16":  # bfloat16 transformer, fp32 pooling and normalisation
        assert b.dtype == np.float32 and np.allclose(np.linalg.norm(b, axis=1), 1, atol=1e-5)
    if mode == "onnx-int8":
        assert list((tmp_path / "exported").glob("*.onnx")) and not list((tmp_path / "exported").glob(".*"))


def test_fast_mode_option():
    from pyterrier_hybrid.retrieval.fast import ACCURATE_BY_SPEED, fast_mode
    assert fast_mode(False) == "fp32"
    assert fast_mode(True) in dict(ACCURATE_BY_SPEED)  # which one: tests/retrieval/test_openvino_fast.py
    with pytest.raises(ValueError, match="unknown fast mode"):
        fast_mode("fp8")


@pytest.mark.parametrize("path", ["/no/such/model", "./missing-model-dir", "a/b/c"])
def test_missing_model_path_fails_before_encoding(path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        DenseEncoder(path, cache=False)


def test_directory_that_is_not_a_model(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a sentence-transformers"):
        DenseEncoder(tmp_path, cache=False)


def test_a_cache_shard_of_the_wrong_width_is_ignored_and_named(tiny_model_dir, tmp_path):
    texts = ["the red house", "a team of eleven"]
    first = DenseEncoder(tiny_model_dir, cache=tmp_path / "c", progress=False)
    expected = first.encode_docs(texts)
    shard = next((tmp_path / "c").rglob("shard-*.npz"))
    with np.load(shard) as data:  # the same keys, vectors of another width: before, a matmul error naming no file
        np.savez(shard, keys=data["keys"], vecs=np.ones((len(data["vecs"]), 7), dtype=np.float32))
    with pytest.warns(UserWarning, match=rf"ignoring embedding cache shard {shard}"):
        again = DenseEncoder(tiny_model_dir, cache=tmp_path / "c", progress=False).encode_docs(texts)
    assert np.allclose(again, expected, atol=1e-6)
