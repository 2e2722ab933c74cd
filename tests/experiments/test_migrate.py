"""Store keys cover everything that determines a part; older stores are renamed to what their parts were, never reused."""
from __future__ import annotations

import dataclasses

import pytest

from pyterrier_hybrid.experiments import StudyStore, TrainingSetup, full_config, quick_config, run_study
from pyterrier_hybrid.experiments.migrate import migrate_store
from pyterrier_hybrid.experiments.reproduce import study_models

E5 = "intfloat/multilingual-e5-small"


def full_fp32():
    return full_config(E5, fast="fp32", training=TrainingSetup(precision="fp32"))


def old_store(root, names) -> StudyStore:
    store = StudyStore(root)
    for name in names:
        (store.root / name).parent.mkdir(parents=True, exist_ok=True)
        (store.root / name).write_text(name)
    return store


#: Names as the committed full study stored them before the paper's strategies (batch rules 1).
OLD_PARTS = ("evals/xquad-r/bm25-8aa471b8-f914502e.parquet", "evals/xquad-r/zero-shot-bbcf7e23-f914502e.json",
             "evals/xquad-r/mlqa-r-xx-seed0-7e41155e-f914502e.parquet",
             "evals/xquad-r/mlqa-r-xx-mono-seed0-dfca0b79-f914502e.json",
             "evals/xquad-r/mlqa-r-hybrid-seed0-be0325ee-f914502e.parquet",
             "evals/mlqa-r/xquad-r-xy-seed0-155e3a13-f914502e.parquet",
             "trainings/mlqa-r/xx-mono-seed0-dfca0b79.json", "models/mlqa-r/xx-seed0-7e41155e/config.json")


def test_parts_of_an_older_store_are_renamed_to_what_they_were_once(tmp_path):
    store = old_store(tmp_path, OLD_PARTS)
    assert migrate_store(store) == 5
    names = {str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file()}
    assert names == {"FORMAT", "evals/xquad-r/bm25-8aa471b8-f914502e.parquet",
                     "evals/xquad-r/zero-shot-bbcf7e23-f914502e.json",
                     "evals/xquad-r/mlqa-r-xx-mixed-seed0-7e41155e-f914502e.parquet",
                     "evals/xquad-r/mlqa-r-xx-seed0-dfca0b79-f914502e.json",
                     "evals/xquad-r/mlqa-r-hybrid-mixed-proportional-seed0-be0325ee-f914502e.parquet",
                     "evals/mlqa-r/xquad-r-xy-seed0-155e3a13-f914502e.parquet",
                     "trainings/mlqa-r/xx-seed0-dfca0b79.json", "models/mlqa-r/xx-mixed-seed0-7e41155e/config.json"}
    assert migrate_store(store) == 0  # marked: a part named xx- from now on is today's xx
    assert (store.root / "FORMAT").read_text().strip() == "3"


def test_a_new_store_is_marked_so_its_parts_are_never_renamed(tmp_path):
    store = StudyStore(tmp_path)
    assert migrate_store(store) == 0
    old_store(tmp_path, ["trainings/mlqa-r/xx-seed0-7e41155e.json"])
    assert migrate_store(store) == 0 and (store.root / "trainings/mlqa-r/xx-seed0-7e41155e.json").exists()


def test_no_model_of_older_batch_rules_comes_back_under_a_new_name(tmp_path):
    """Every trained system of today has a new key; BM25 and zero-shot evaluations keep theirs and are reused."""
    config = full_fp32()
    models = study_models(config)
    old_names = {name.split("/")[-1].split(".")[0] for name in OLD_PARTS}
    for model in models:
        assert model.name not in old_names and f"{model.family}-{model.name}" not in " ".join(old_names)
    assert config.model("mlqa-r", "xx", 0).config.xx_languages == "uniform"
    assert config.eval_key("xquad-r") == "f914502e"  # evaluations of untrained systems: the same key as before


def test_keys_cover_the_strategy_options_and_the_data():
    config = full_fp32()
    base = config.model("mlqa-r", "hybrid", 0)
    others = [config.model("mlqa-r", "hybrid", 0, config.training.replace(alpha=0.25)),
              config.model("mlqa-r", "hybrid", 0, config.training.replace(xx_kind="mixed")),
              config.model("mlqa-r", "hybrid", 0, config.training.replace(alpha="proportional")),
              config.model("mlqa-r", "hybrid", 0, config.training.replace(xx_languages="proportional")),
              config.model("mlqa-r", "hybrid", 0, config.training.replace(items=100)),
              config.model("mlqa-r", "hybrid", 0, config.training.replace(languages=("en", "de"))),
              config.model("xquad-r", "hybrid", 0), config.model("mlqa-r", "hybrid", 1),
              dataclasses.replace(config, base_model="other").model("mlqa-r", "hybrid", 0)]
    assert len({base.name, *(m.name for m in others)}) == 1 + len(others)
    # options of hybrid do not change the other strategies' models
    assert config.model("mlqa-r", "xy", 0, config.training.replace(alpha=0.25)).name == config.model("mlqa-r", "xy", 0).name


def test_a_study_never_reuses_a_part_of_another_configuration(two_family_release, tiny_model_dir, tmp_path,
                                                             monkeypatch):
    monkeypatch.setenv("PYTERRIER_HYBRID_CACHE", str(tmp_path / "cache"))
    training = TrainingSetup(steps=2, batch_size=4, max_seq_length=32, precision="fp32", languages=("en", "de", "zh"))
    study = quick_config(str(tiny_model_dir), training=training, strategies=("hybrid",), bm25=False, zero_shot=False)
    run_study(study, tmp_path / "out")
    other = dataclasses.replace(study, training=training.replace(alpha=0.25))
    parts = run_study(other, tmp_path / "out").provenance["parts"]
    assert parts and not any(part["reused"] for part in parts.values())


@pytest.mark.parametrize("changes", [{"fast": "int8"}, {"eval_items": 5}, {"eval_max_seq_length": 64}])
def test_eval_key_covers_how_a_family_is_evaluated(changes):
    config = full_fp32()
    assert dataclasses.replace(config, **changes).eval_key("xquad-r") != config.eval_key("xquad-r")


def test_reproduce_on_the_committed_older_study_reuses_no_trained_part(tmp_path):
    """The full study of docs/results/before-paper-batches, reported by today's code: BM25 and zero-shot come back,
    every trained system is missing (its old parts renamed to what they were)."""
    import shutil
    from pathlib import Path
    committed = Path(__file__).resolve().parents[2] / "docs/results/before-paper-batches/full/.study"
    shutil.copytree(committed, tmp_path / ".study")
    config = full_fp32()
    result = run_study(config, tmp_path, stored_only=True)
    assert set(result.per_query["system"]) == {"BM25", "zero-shot"}
    missing = " ".join(result.provenance["missing parts"])
    assert all(model.name in missing for model in study_models(config))
    assert (tmp_path / ".study/trainings/mlqa-r/xx-mixed-seed0-7e41155e.json").exists()
