"""train(): end to end on the tiny model, errors before training, NaN stop, resume after SIGKILL, CLI."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pyterrier_hybrid.cli import main
from pyterrier_hybrid.training import PairKeys, ParallelQA, STRATEGIES, NonFiniteLossError, train

WORDS = ["red", "house", "river", "book", "stars", "team", "players", "eleven", "astronomer", "near",
         "rote", "haus", "fluss", "buch", "sterne", "spieler", "mannschaft", "casa", "roja", "río"]
TEMPLATES = {"en": ("where is the {} {}?", "the {} {} stands near it."),
             "de": ("wo steht das {} {}?", "das {} {} steht am fluss."),
             "es": ("¿dónde está la {} {}?", "la {} {} está cerca.")}


def synthetic(n_items: int = 48) -> ParallelQA:
    """Parallel items whose question and answer share a word pair, in three languages."""
    pairs = [(a, b) for a in WORDS for b in WORDS if a != b][:: 7][:n_items]
    return ParallelQA.from_records([(i, lang, q.format(a, b), ans.format(a, b))
                                    for i, (a, b) in enumerate(pairs) for lang, (q, ans) in TEMPLATES.items()])


def mrr(model, data: ParallelQA) -> float:
    """Mean reciprocal rank of the first answer of the question's item (in any language, as LAReQA judges)
    among all answers of every language."""
    rows = data.table.to_pylist()
    q = model.encode([r["question"] for r in rows], convert_to_numpy=True, normalize_embeddings=True)
    a = model.encode([r["answer"] for r in rows], convert_to_numpy=True, normalize_embeddings=True)
    scores = q @ a.T
    items = np.array([r["item_id"] for r in rows])
    relevant = items[:, None] == items[None, :]
    best = np.where(relevant, scores, -np.inf).max(1)
    ranks = ((scores > best[:, None]) & ~relevant).sum(1) + 1
    return float(np.mean(1 / ranks))


def test_training_raises_retrieval_metric(tiny_model_dir, tmp_path):
    from sentence_transformers import SentenceTransformer
    data = synthetic()
    before = mrr(SentenceTransformer(str(tiny_model_dir), device="cpu"), data)
    model = train(str(tiny_model_dir), data, "hybrid", output_dir=tmp_path / "m", batch_size=16, epochs=2,
                  learning_rate=3e-3, warmup_ratio=0.0, save_steps=1000, device="cpu", seed=1)
    after = mrr(model, data)
    assert 1 - after < (1 - before) / 2, (before, after)  # training at least halves the missed reciprocal rank
    saved = SentenceTransformer(str(tmp_path / "m"), device="cpu")
    assert mrr(saved, data) == pytest.approx(after, abs=1e-4)
    card = (tmp_path / "m" / "README.md").read_text()
    for field in ("strategy**: hybrid", "alpha**: 0.5", "xx_kind=one-language xx_languages=uniform", "languages**: de en es", "steps**: 36", "seed**: 1"):
        assert field in card
    stats = json.loads((tmp_path / "m" / "batch_stats.json").read_text())
    assert stats["batch_types"] == {"xx": 36 // 2, "xy": 36 // 2} and stats["xx_share"] == 0.5
    assert sum(stats["language_pairs"].values()) == 36 * 16


@pytest.mark.parametrize("kwargs, message", [
    ({"data": ParallelQA.from_records([(i, "en", "q", "a") for i in range(40)]), "strategy": "xy"},
     "needs cross-lingual pairs"),
    ({"data": synthetic(10), "batch_size": 16, "strategy": "xx-mixed"}, "10 usable items"),
    ({"data": synthetic(10), "batch_size": 16}, "no language has 16 items"),
    ({"data": ParallelQA.from_records([]), "strategy": "xx"}, "empty"),
    ({"data": synthetic(10), "strategy": "bogus"}, "unknown strategy"),
    ({"data": synthetic(10), "strategy": "xx", "alpha": 0.5}, "alpha applies to the hybrid"),
    ({"data": synthetic(10), "resume": True, "batch_size": 4}, "holds no checkpoint"),
])
def test_bad_input_fails_before_loading_the_model(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train(str(tmp_path / "no-such-model"), output_dir=tmp_path / "out", **kwargs)


def test_non_finite_loss_stops_at_its_step(tiny_model_dir, tmp_path, monkeypatch):
    from sentence_transformers.sentence_transformer import losses
    forward, calls = losses.MultipleNegativesRankingLoss.forward, []

    def nan_at_step_3(self, *args, **kwargs):
        calls.append(1)
        loss = forward(self, *args, **kwargs)
        return loss * float("nan") if len(calls) == 3 else loss

    monkeypatch.setattr(losses.MultipleNegativesRankingLoss, "forward", nan_at_step_3)
    with pytest.raises(NonFiniteLossError, match=r"at step 3: .*checkpoint-2"):
        train(str(tiny_model_dir), synthetic(24), "xx", output_dir=tmp_path / "m", batch_size=8, max_steps=6,
              save_steps=2, device="cpu")
    assert sorted(p.name for p in (tmp_path / "m.checkpoints").iterdir()) == ["checkpoint-2"]
    assert not (tmp_path / "m" / "model.safetensors").exists()


RUN = """
import sys, time
from pyterrier_hybrid.training import train, samplers
sys.path.insert(0, {tests!r})
from test_train import synthetic
iter_ = samplers.ParallelBatchSampler.__iter__
def slow_iter(self):  # slow steps so the test can kill the run between checkpoints
    for batch in iter_(self):
        time.sleep(0.3)
        yield batch
samplers.ParallelBatchSampler.__iter__ = slow_iter
train({model!r}, synthetic(48), "hybrid", output_dir={out!r}, batch_size=8, max_steps=14, save_steps=2, device="cpu")
"""


def test_resume_after_sigkill_skips_done_batches(tiny_model_dir, tmp_path, monkeypatch):
    out = tmp_path / "m"
    script = RUN.format(tests=str(Path(__file__).parent), model=str(tiny_model_dir), out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "WORLD_SIZE": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (tmp_path / "m.checkpoints" / "checkpoint-4" / "trainer_state.json").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "training ended before the kill"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = max(int(p.name.split("-")[1]) for p in (tmp_path / "m.checkpoints").glob("checkpoint-*")
               if (p / "trainer_state.json").exists())
    assert done < 14
    for partial in (p for p in (tmp_path / "m.checkpoints").glob("checkpoint-*") if int(p.name.split("-")[1]) > done):
        __import__("shutil").rmtree(partial)  # a checkpoint the kill interrupted while being written

    fetched: list[list[int]] = []
    texts = PairKeys.texts
    monkeypatch.setattr(PairKeys, "texts", lambda self, keys: (fetched.append(list(keys)), texts(self, keys))[1])
    train(str(tiny_model_dir), synthetic(48), "hybrid", output_dir=out, batch_size=8, max_steps=14,
          save_steps=2, device="cpu", resume=True)
    assert (out / "model.safetensors").exists()

    data = synthetic(48)
    pairs = PairKeys(data)
    plan = list(STRATEGIES["hybrid"](pairs.dataset(), 8, False, seed=0, pairs=pairs))
    trained = [batch for batch in fetched if batch in plan]
    assert not [batch for batch in trained if batch in plan[:done]], "a batch done before the kill was repeated"
    # accelerate's loader fetches one batch ahead, so one batch past max_steps may be fetched but not trained
    assert trained[:14 - done] == plan[done:14] and len(trained) <= 14 - done + 1


KILLED_IN_SAVE = """
import pathlib, sys, time
import transformers
from pyterrier_hybrid.training import train
sys.path.insert(0, {tests!r})
from test_train import synthetic
save_optimizer = transformers.Trainer._save_optimizer_and_scheduler
def stalled_save(self, output_dir):  # checkpoint-4's weights are written, its optimizer and state not yet
    save_optimizer(self, output_dir)
    if output_dir.endswith("checkpoint-4"):
        pathlib.Path({ready!r}).touch()
        time.sleep(600)
transformers.Trainer._save_optimizer_and_scheduler = stalled_save
train({model!r}, synthetic(48), "hybrid", output_dir={out!r}, batch_size=8, max_steps=8, save_steps=2, device="cpu")
"""


def test_a_kill_inside_a_checkpoint_save_does_not_block_the_resume(tiny_model_dir, tmp_path, caplog):
    """SIGKILL while checkpoint-4 is being written (weights saved, trainer state not): resume takes checkpoint-2,
    removes the half-written folder with a warning, and finishes (before: 'Unrecognized model in checkpoint-4')."""
    out, ready = tmp_path / "m", tmp_path / "in-save"
    script = KILLED_IN_SAVE.format(tests=str(Path(__file__).parent), model=str(tiny_model_dir), out=str(out),
                                   ready=str(ready))
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "WORLD_SIZE": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not ready.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "training ended before the save"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    half = tmp_path / "m.checkpoints" / "checkpoint-4"
    assert half.is_dir() and not (half / "trainer_state.json").exists()  # the kill left it half-written
    with caplog.at_level("WARNING"):
        train(str(tiny_model_dir), synthetic(48), "hybrid", output_dir=out, batch_size=8, max_steps=8,
              save_steps=2, device="cpu", resume=True)
    assert "interrupted save left it incomplete" in caplog.text and "checkpoint-4" in caplog.text
    assert (out / "model.safetensors").exists()
    assert json.loads((out / "batch_stats.json").read_text())["steps"] == 8


def test_cli_train(tiny_model_dir, tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in synthetic(24).table.to_pylist()))
    assert main(["train", str(tiny_model_dir), str(path), "--languages", "en", "de", "--strategy", "xy",
                 "--batch-size", "8", "--max-steps", "3", "--output-dir", str(tmp_path / "m"), "--device", "cpu",
                 "--query-prompt", "query: ", "--document-prompt", "passage: ", "--freeze-word-embeddings",
                 "--loss", "symmetric", "--validation-items", "4", "--save-steps", "2"]) == 0
    stats = json.loads((tmp_path / "m" / "batch_stats.json").read_text())
    assert stats["strategy"] == "xy" and set(stats["language_pairs"]) == {"de-en", "en-de"}
    with pytest.raises(SystemExit):
        main(["train", "--help"])


def test_prompts_default_to_the_models_own(tiny_model_dir, tmp_path):
    from sentence_transformers import SentenceTransformer
    prompted = SentenceTransformer(str(tiny_model_dir), device="cpu")
    prompted.prompts = {"query": "query: ", "document": "passage: "}
    prompted.save(str(tmp_path / "prompted"))
    train(str(tmp_path / "prompted"), synthetic(16), "xx", output_dir=tmp_path / "m", batch_size=8, max_steps=1,
          device="cpu")
    card = (tmp_path / "m" / "README.md").read_text()
    assert "query prompt**: 'query: '" in card and "document prompt**: 'passage: '" in card


def paragraph_items(topics: int = 48, sentences: int = 6) -> ParallelQA:
    """Items whose answers are the sentences of one paragraph per topic: every sentence of a paragraph repeats the
    topic word and differs by one attribute word, which the question names by another word. In-batch negatives
    (other topics) are told apart by the topic alone; only the paragraph's own sentences teach the attributes."""
    import pyarrow as pa
    rows = [(f"{t}.{a}", lang, f"{lang}q{a} {lang}t{t}", f"{lang}t{t} " * 3 + f"{lang}a{a} {lang}filler",
             f"{lang}:{t}:0:{a}") for t in range(topics) for a in range(sentences) for lang in ("de", "en")]
    return ParallelQA(pa.table(dict(zip(["item_id", "lang", "question", "answer", "answer_id"],
                                        map(list, zip(*rows))))))


def same_language_mrr(model, data: ParallelQA) -> float:
    """Mean reciprocal rank of a question's answer among the answers of its own language."""
    rows = data.table.to_pylist()
    q = model.encode([r["question"] for r in rows], normalize_embeddings=True)
    a = model.encode([r["answer"] for r in rows], normalize_embeddings=True)
    langs = np.array([r["lang"] for r in rows])
    scores = np.where(langs[:, None] == langs[None, :], q @ a.T, -np.inf)
    ranks = (scores > np.diag(scores)[:, None]).sum(1) + 1
    return float(np.mean(1 / ranks))


def test_paragraph_negatives_beat_in_batch_negatives_only(tmp_path):
    """The paper's triplets: the same tiny model, data and steps, trained with paragraph hard negatives, ranks the
    right sentence of a paragraph where in-batch negatives alone do not teach it."""
    from tiny_model import build_tiny_model
    data = paragraph_items()
    base = build_tiny_model(tmp_path / "tiny", [r["question"] + " " + r["answer"] for r in data.table.to_pylist()],
                            vocab_size=1000)
    scores = {}
    for negatives in ("none", "paragraph"):
        model = train(str(base), data, strategy="xx", hard_negatives=negatives, output_dir=tmp_path / negatives,
                      batch_size=8, epochs=2, learning_rate=5e-3, warmup_ratio=0.0, device="cpu", seed=0)
        scores[negatives] = same_language_mrr(model, data)
    assert scores["paragraph"] > scores["none"] + 0.15, scores
    stats = json.loads((tmp_path / "paragraph" / "batch_stats.json").read_text())
    assert stats["negative_sources"]["paragraph"] == stats["steps"] * 8, "every sentence has paragraph mates"
    assert "hard negatives**: paragraph (1 per query)" in (tmp_path / "paragraph" / "README.md").read_text()


def test_st_plain_is_a_plain_dataset_of_every_pair(tiny_model_dir, tmp_path):
    """st-plain: every (question in X, answer in Y) pair of each item, X = Y included, with fixed hard negatives,
    trained through sentence-transformers' own NoDuplicatesBatchSampler."""
    from pyterrier_hybrid.training.negatives import HardNegatives
    from pyterrier_hybrid.training.plain import plain_dataset, plain_rows
    data = ParallelQA.from_records([(i, lang, f"q{i}{lang}", f"a{i}{lang}") for i in range(6)
                                    for lang in (("de", "en", "zh") if i % 2 else ("en",))])
    pairs = PairKeys(data)
    q, a = plain_rows(pairs)
    assert len(q) == 3 * 9 + 3 * 1
    got = {(data.table["question"][int(i)].as_py(), data.table["answer"][int(j)].as_py()) for i, j in zip(q, a)}
    want = {(f"q{i}{x}", f"a{i}{y}") for i in range(6) for x in (("de", "en", "zh") if i % 2 else ("en",))
            for y in (("de", "en", "zh") if i % 2 else ("en",))}
    assert got == want
    pairs.negatives = HardNegatives(pairs, "bm25", 2)
    dataset = plain_dataset(pairs, seed=0)
    assert dataset.column_names == ["anchor", "positive", "negative_1", "negative_2"]
    for row in dataset:
        item, lang = row["positive"][1:-2], row["positive"][-2:]
        assert {row["negative_1"], row["negative_2"]}.isdisjoint({f"a{item}{x}" for x in ("de", "en", "zh")})
        assert row["negative_1"].endswith(lang) and row["negative_1"] != row["negative_2"]
    model = train(str(tiny_model_dir), synthetic(24), strategy="st-plain", hard_negatives="paragraph",
                  output_dir=tmp_path / "plain", batch_size=8, steps=3, device="cpu")
    stats = json.loads((tmp_path / "plain" / "batch_stats.json").read_text())
    assert stats["pairs"] == 24 * 9 and stats["batch sampler"].endswith("NoDuplicatesBatchSampler")
    assert stats["steps"] == 3 and model is not None


@pytest.mark.parametrize("epochs, min_steps", [(1, 9), (2, 1)])
def test_epochs_with_at_least_min_steps(tiny_model_dir, tmp_path, epochs, min_steps):
    """By epochs (steps None): k epochs of the strategy's batches, but never fewer than min_steps."""
    data = synthetic(24)
    per_epoch = data.mono_size // 8  # xx-mixed: one batch per 8 monolingual rows
    train(str(tiny_model_dir), data, strategy="xx-mixed", epochs=epochs, min_steps=min_steps,
          output_dir=tmp_path / "m", batch_size=8, device="cpu")
    stats = json.loads((tmp_path / "m" / "batch_stats.json").read_text())
    assert stats["steps"] == max(min_steps, epochs * per_epoch)
