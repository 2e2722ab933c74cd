"""The reproduce study end to end on fixture releases with the tiny model: reports, reuse, resumption."""
from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pyterrier_hybrid.cli import main
from pyterrier_hybrid.experiments import StudyRunner, StudyStore, TrainingSetup, quick_config, run_study


@pytest.fixture
def study(two_family_release, tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTERRIER_HYBRID_CACHE", str(tmp_path / "cache"))
    training = TrainingSetup(steps=3, batch_size=4, max_seq_length=32, precision="fp32", languages=("en", "de", "zh"))
    return quick_config(str(tiny_model_dir), training=training)


def test_study_writes_every_report(study, tmp_path):
    result = run_study(study, tmp_path / "out", ["pyterrier-hybrid", "reproduce", "--quick"])
    out = tmp_path / "out"
    for name in ("results.csv", "summary.csv", "significance.csv", "results.md", "provenance.json"):
        assert (out / name).stat().st_size > 0, name
    summary = result.summary()
    assert set(summary["system"]) == {"BM25", "zero-shot", "X-X", "X-X (mixed)", "X-Y", "hybrid"}
    assert set(summary["family"]) == {"xquad-r"}  # trained on MLQA-R, so never evaluated on it
    bm25 = summary[summary["system"] == "BM25"]
    assert set(bm25["kind"]) == {"mono", "cross", "multi"}  # BM25 in every setting...
    assert "| BM25 | cross † |" in (out / "results.md").read_text()  # ...marked lexical overlap only outside mono
    assert "lexical overlap only" in (out / "results.md").read_text()
    settings = result.settings()
    assert len(settings[(settings["system"] == "hybrid") & (settings["measure"] == "AP")]) == 3 + 6 + 3
    tests = pd.read_csv(out / "significance.csv")
    assert set(tests["baseline"]) == {"BM25", "zero-shot", "X-X", "X-X (mixed)", "X-Y"}
    assert tests["p_holm"].between(0, 1).all() and (tests["p_holm"] >= tests["p"] - 1e-12).all()
    record = json.loads((out / "provenance.json").read_text())
    assert record["command"] == "pyterrier-hybrid reproduce --quick"
    assert {"torch", "sentence-transformers", "ir-measures"} <= set(record["versions"])
    assert record["hardware"]["cores"] >= 1 and record["wall seconds"] > 0
    assert (out / "heatmaps" / "xquad-r" / "hybrid_AP.png").exists()
    assert "| hybrid | multi |" in (out / "results.md").read_text()
    assert "Beside the paper" in (out / "results.md").read_text() and "| hybrid ≥ X-Y | X-Y |" in (out / "results.md").read_text()


def test_second_run_reuses_every_part(study, tmp_path):
    run_study(study, tmp_path / "out")
    store_files = sorted(p.stat().st_mtime_ns for p in (tmp_path / "out" / ".study").rglob("*.parquet"))
    result = run_study(study, tmp_path / "out")
    assert all(part["reused"] for part in result.provenance["parts"].values())
    assert sorted(p.stat().st_mtime_ns for p in (tmp_path / "out" / ".study").rglob("*.parquet")) == store_files
    # another seed trains and evaluates only the new models
    more = run_study(quick_config(study.base_model, training=study.training, seeds=(0, 1)), tmp_path / "out")
    fresh = [name for name, part in more.provenance["parts"].items() if not part["reused"]]
    assert fresh and all("seed1" in name for name in fresh)
    assert "±" in more.markdown()


def test_report_of_a_partial_study_lists_what_is_missing(study, tmp_path):
    with pytest.raises(ValueError, match="nothing of this study is stored"):
        run_study(study, tmp_path / "out", stored_only=True)
    run_study(dataclasses.replace(study, strategies=("xx",)), tmp_path / "out")
    partial = run_study(study, tmp_path / "out", stored_only=True)
    assert set(partial.summary()["system"]) == {"BM25", "zero-shot", "X-X"}
    missing = partial.provenance["missing parts"]
    assert len(missing) == 3 and all("xx-seed" not in name for name in missing)
    assert "**Incomplete:**" in partial.markdown()
    assert len(list((tmp_path / "out" / ".study" / "trainings" / "mlqa-r").iterdir())) == 1  # nothing trained


def test_stored_evaluations_need_no_model_weights(study, tmp_path):
    """A study continued on another machine (evaluations committed, model weights not) trains nothing again."""
    first = run_study(study, tmp_path / "out", keep_models=True)
    shutil.rmtree(tmp_path / "out" / ".study" / "models")
    again = run_study(study, tmp_path / "out")
    assert all(part["reused"] for part in again.provenance["parts"].values())
    assert not (tmp_path / "out" / ".study" / "models").exists()
    # the training records outlive the weights: the study's time still counts every model's training
    trainings = [name for name in first.provenance["parts"] if name.startswith("train")]
    assert len(trainings) == 4
    assert {name: again.provenance["parts"][name]["seconds"] for name in trainings} == \
        {name: first.provenance["parts"][name]["seconds"] for name in trainings}
    assert again.provenance["study seconds"] == first.provenance["study seconds"]
    pd.testing.assert_frame_equal(again.summary(), first.summary())


def test_the_store_keeps_what_evaluation_needs_and_models_only_when_asked(study, tmp_path):
    """By default a trained model is evaluated from memory and nothing of it but its training record and its
    evaluation is left; ``keep_models`` keeps weights, card and embedding cache, with the same numbers."""
    lean = run_study(study, tmp_path / "lean")
    root = tmp_path / "lean" / ".study"
    assert not list(root.glob("models/*/*")) and not list(root.glob("cache/*/*"))
    assert len(list(root.glob("trainings/mlqa-r/*.json"))) == 4 and len(list(root.glob("evals/*/*.parquet"))) == 6
    assert not list(root.rglob("*.safetensors")) and not list(root.rglob("*.checkpoints"))
    kept = run_study(study, tmp_path / "kept", keep_models=True)
    models = sorted((tmp_path / "kept" / ".study" / "models" / "mlqa-r").iterdir())
    assert len(models) == 4
    for model in models:
        assert {"study.json", "batch_stats.json", "README.md", "model.safetensors"} <= {p.name for p in model.iterdir()}
        assert (tmp_path / "kept" / ".study" / "cache" / "mlqa-r" / model.name).is_dir()
    pd.testing.assert_frame_equal(lean.settings(), kept.settings())  # in memory or reloaded: the same numbers


def test_a_training_longer_than_its_checkpoint_interval_is_saved_until_evaluated(study, tmp_path):
    """A cut evaluation must not redo a long training: one that took longer than ``checkpoint_minutes`` is saved
    (and reused by the next run) even when the store keeps no models."""
    slow = dataclasses.replace(study, training=dataclasses.replace(study.training, checkpoint_minutes=1e-6))
    store = StudyStore(tmp_path / "out")
    model = slow.model("mlqa-r", "xy", 0)
    assert StudyRunner(slow, store).trained_model(model) == store.model_dir(model)
    assert StudyRunner(slow, StudyStore(tmp_path / "out")).trained_model(model) == store.model_dir(model)  # reused
    fast = StudyRunner(study, StudyStore(tmp_path / "other")).trained_model(study.model("mlqa-r", "xy", 0))
    assert not isinstance(fast, Path) and not StudyStore(tmp_path / "other").model_dir(model).exists()


def test_interrupted_training_resumes_from_its_checkpoint(study, tmp_path):
    from pyterrier_hybrid.training import ParallelQA, train
    store = StudyStore(tmp_path / "out", keep_models=True)
    model_dir = store.model_dir(study.model("mlqa-r", "hybrid", 0))
    data = ParallelQA.from_irds("mlqa-r", study.training.languages)
    # a run killed after its checkpoint at step 2: checkpoints, but no final model and no completion record
    train(study.base_model, data, strategy="hybrid", output_dir=model_dir, batch_size=4, steps=2, save_steps=1,
          max_seq_length=32, word_embeddings="frozen")
    for path in model_dir.iterdir():
        if path.name != "checkpoints":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    assert StudyRunner(study, store).trained_model(study.model("mlqa-r", "hybrid", 0)) == model_dir
    record = json.loads((model_dir / "study.json").read_text())
    assert record["resumed"] is True
    assert json.loads((model_dir / "batch_stats.json").read_text())["steps"] == study.training.steps
    assert not (model_dir / "checkpoints").exists()  # the finished model no longer needs them


def test_quick_command_prints_the_table(two_family_release, tiny_model_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PYTERRIER_HYBRID_CACHE", str(tmp_path / "cache"))
    assert main(["reproduce", "--quick", "--model", str(tiny_model_dir), "--out", str(tmp_path / "out"),
                 "--steps", "2", "--batch-size", "4", "--max-seq-length", "32", "--fp32-training",
                 "--strategies", "xx", "hybrid", "--no-bm25", "--keep-models"]) == 0
    assert len(list((tmp_path / "out" / ".study" / "models" / "mlqa-r").iterdir())) == 2
    printed = capsys.readouterr().out
    assert "| hybrid | mono |" in printed and "| X-X | cross |" in printed and "BM25" not in printed.split("Hybrid")[0]


@pytest.mark.parametrize("argv, message", [
    (["--languages", "xx"], "xx"),
    (["--train-languages", "el"], "el"),  # not an MLQA-R language
    (["--steps", "0"], "steps"),
    (["--items", "2", "--batch-size", "4"], "cannot fill"),
    (["--fast", "fp16"], "fp16.*valid: auto, fp32, openvino, openvino-int8, bf16"),
    (["--eval-items", "0"], "eval_items"),
    (["--seeds", "-1"], "seeds must be"),
    (["--train-items", "100000"], "has only"),
])
def test_bad_study_fails_before_any_work(two_family_release, tiny_model_dir, tmp_path, argv, message):
    with pytest.raises(SystemExit, match=message):
        main(["reproduce", "--quick", "--model", str(tiny_model_dir), "--out", str(tmp_path / "out"), *argv])
    assert not (tmp_path / "out").exists()


def test_every_dense_system_encodes_at_the_study_length(study, tiny_model_dir):
    from pyterrier_hybrid.experiments.runner import dense_system
    from pyterrier_hybrid.retrieval.fast import native_bf16
    assert dense_system(tiny_model_dir, study, "x", "mlqa-r").encoder.max_seq_length == study.eval_max_seq_length == 128
    assert study.fast == ("bf16" if native_bf16() else "fp32")  # "auto": bf16 only where it is native
    assert quick_config(study.base_model).training.bf16 == native_bf16()


def test_held_out_items_choose_a_recipe_without_the_test_family(study, tmp_path):
    """--held-out-items: every model trains without the same random items, and every system is scored on those
    items' questions in the training family; the other family is never read."""
    from pyterrier_hybrid.experiments.runner import held_out_items
    config = dataclasses.replace(study, training=study.training.replace(held_out_items=3), eval_items=None,
                                 strategies=("xx", "hybrid"))
    result = run_study(config, tmp_path / "out")
    per_query = result.per_query
    assert set(per_query["family"]) == {"mlqa-r"}, "scored on the training family, never on xquad-r"
    held = held_out_items("mlqa-r", config)
    assert len(held) == 3
    from datasets_ext.ids import item_of
    assert {item_of(q) for q in per_query["query_id"]} == held
    model = config.model("mlqa-r", "hybrid", 0)
    trained_items = set(model.training_data().item_ids)
    assert not trained_items & held and trained_items
    assert model.key() != dataclasses.replace(model, setup=study.training).key()
    assert "items held out of training (recipe selection)" in result.markdown()
    with pytest.raises(ValueError, match="exclude each other"):
        dataclasses.replace(config, eval_items=10)
