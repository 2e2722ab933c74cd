"""Store keys: format-2 keys cover everything that determines a part; format-1 stores are migrated, not recomputed."""
from __future__ import annotations

import dataclasses

import pytest

from pyterrier_hybrid.experiments import StudyStore, TrainingSetup, full_config, quick_config, run_study
from pyterrier_hybrid.experiments.migrate import migrate_store
from pyterrier_hybrid.experiments.reproduce import study_models

E5 = "intfloat/multilingual-e5-small"


def full_fp32():
    return full_config(E5, fast="fp32", training=TrainingSetup(precision="fp32"))


def test_format_1_parts_of_the_committed_full_study_are_renamed(tmp_path):
    config = full_fp32()
    store = StudyStore(tmp_path)
    # names as the format-1 store of docs/results/full held them (before this format existed)
    old = {"evals/xquad-r/bm25-ca78cc85.parquet", "evals/xquad-r/bm25-ca78cc85.json",
           "evals/xquad-r/mlqa-r-hybrid-seed0-21d1835f-ca78cc85.parquet",
           "evals/xquad-r/mlqa-r-hybrid-seed0-21d1835f-ca78cc85.json",
           "trainings/mlqa-r/hybrid-seed0-21d1835f.json", "models/mlqa-r/hybrid-seed0-21d1835f/config.json"}
    for name in old:
        (store.root / name).parent.mkdir(parents=True, exist_ok=True)
        (store.root / name).write_text(name)
    assert migrate_store(store, config, study_models(config)) == 4  # 2 evaluation files, a record, a model folder
    assert (store.root / "evals/xquad-r/bm25-ca78cc85.parquet").exists()  # mono-only BM25: not today's BM25
    hybrid = config.model("mlqa-r", "hybrid", 0)
    eval_path = store.evaluation_path("xquad-r", f"mlqa-r-{hybrid.name}", config.eval_key("xquad-r"))
    assert eval_path.read_text() == "evals/xquad-r/mlqa-r-hybrid-seed0-21d1835f-ca78cc85.parquet"
    assert store.training_record(hybrid).read_text() == "trainings/mlqa-r/hybrid-seed0-21d1835f.json"
    assert (store.model_dir(hybrid) / "config.json").exists()
    assert migrate_store(store, config, study_models(config)) == 0  # once only


def test_a_part_stored_under_its_new_name_is_never_overwritten(tmp_path):
    config = full_fp32()
    store = StudyStore(tmp_path)
    hybrid = config.model("mlqa-r", "hybrid", 0)
    new, old = store.training_record(hybrid), store.training_record(hybrid).with_name("hybrid-seed0-21d1835f.json")
    for path, text in ((new, "new"), (old, "old")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    migrate_store(store, config, [hybrid])
    assert new.read_text() == "new" and old.exists()


def test_keys_cover_the_strategy_options_and_the_data():
    config = full_fp32()
    base = config.model("mlqa-r", "hybrid", 0)
    others = [config.model("mlqa-r", "hybrid", 0, config.training.replace(alpha=0.5)),
              config.model("mlqa-r", "hybrid", 0, config.training.replace(mono_xx=True)),
              config.model("mlqa-r", "hybrid", 0, config.training.replace(items=100)),
              config.model("mlqa-r", "hybrid", 0, config.training.replace(languages=("en", "de"))),
              config.model("xquad-r", "hybrid", 0), config.model("mlqa-r", "hybrid", 1),
              dataclasses.replace(config, base_model="other").model("mlqa-r", "hybrid", 0)]
    assert len({base.name, *(m.name for m in others)}) == 1 + len(others)
    # options of hybrid do not change the other strategies' models
    assert config.model("mlqa-r", "xy", 0, config.training.replace(alpha=0.5)).name == config.model("mlqa-r", "xy", 0).name


def test_a_study_never_reuses_a_part_of_another_configuration(two_family_release, tiny_model_dir, tmp_path,
                                                             monkeypatch):
    monkeypatch.setenv("PYTERRIER_HYBRID_CACHE", str(tmp_path / "cache"))
    training = TrainingSetup(steps=2, batch_size=4, max_seq_length=32, precision="fp32", languages=("en", "de", "zh"))
    study = quick_config(str(tiny_model_dir), training=training, strategies=("hybrid",), bm25=False, zero_shot=False)
    run_study(study, tmp_path / "out")
    other = dataclasses.replace(study, training=training.replace(alpha=0.5))
    parts = run_study(other, tmp_path / "out").provenance["parts"]
    assert parts and not any(part["reused"] for part in parts.values())


@pytest.mark.parametrize("changes", [{"fast": "int8"}, {"eval_items": 5}, {"eval_max_seq_length": 64}])
def test_eval_key_covers_how_a_family_is_evaluated(changes):
    config = full_fp32()
    assert dataclasses.replace(config, **changes).eval_key("xquad-r") != config.eval_key("xquad-r")
