"""Sweeps of hybrid training: grid values, the tidy CSV, the plot, and realised X-X shares per alpha."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from pyterrier_hybrid.cli import main
from pyterrier_hybrid.experiments import StudyStore, TrainingSetup, quick_config, run_sweep
from pyterrier_hybrid.experiments.sweep import parse_value


def test_alpha_sweep_trains_the_asked_mixtures(two_family_release, tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTERRIER_HYBRID_CACHE", str(tmp_path / "cache"))
    training = TrainingSetup(steps=3, batch_size=4, max_seq_length=32, precision="fp32", languages=("en", "de", "zh"))
    config = quick_config(str(tiny_model_dir), training=training, strategies=("hybrid",))
    frame = run_sweep(config, "alpha", [0.0, 1.0], tmp_path / "out", keep_models=True)
    assert list(frame.columns) == ["parameter", "value", "strategy", "seed", "trained_on", "family", "kind",
                                   "measure", "score"]
    assert set(frame["value"]) == {0.0, 1.0} and set(frame["kind"]) == {"mono", "cross", "multi"}
    assert frame["score"].notna().all()
    assert (tmp_path / "out" / "sweep_alpha.png").stat().st_size > 0
    assert len(pd.read_csv(tmp_path / "out" / "sweep_alpha.csv")) == len(frame)
    store = StudyStore(tmp_path / "out")
    for alpha, share in ((0.0, 0.0), (1.0, 1.0)):
        setup = TrainingSetup(**{**training.__dict__, "alpha": alpha})
        stats = json.loads((store.model_dir(config.model("mlqa-r", "hybrid", 0, setup)) / "batch_stats.json").read_text())
        assert stats["xx_share"] == share


def test_language_sweep_command(two_family_release, tiny_model_dir, tmp_path, monkeypatch, capsys):
    """Nested training-language sets: one language trains X-X only (by design, said in the report), the other
    strategies are tested against that X-X; settings are grouped by seen / unseen languages."""
    monkeypatch.setenv("PYTERRIER_HYBRID_CACHE", str(tmp_path / "cache"))
    assert main(["sweep", "--quick", "--model", str(tiny_model_dir), "--out", str(tmp_path / "out"), "--steps", "2",
                 "--batch-size", "4", "--max-seq-length", "32", "--fp32-training", "--param", "languages",
                 "--values", "en", "en,de", "--strategies", "xx", "xy", "hybrid"]) == 0
    frame = pd.read_csv(tmp_path / "out" / "sweep_languages.csv")
    assert set(zip(frame["value"], frame["strategy"])) == {("en", "X-X"), ("en,de", "X-X"), ("en,de", "X-Y"),
                                                           ("en,de", "hybrid")}
    tests = pd.read_csv(tmp_path / "out" / "sweep_languages_significance.csv")
    assert {("X-Y @ en,de", "X-X @ en"), ("hybrid @ en,de", "X-X @ en"), ("X-X @ en,de", "X-X @ en"),
            ("hybrid @ en,de", "X-Y @ en,de")} <= set(zip(tests["system"], tests["baseline"]))
    report = (tmp_path / "out" / "sweep_languages.md").read_text()
    assert "Not trained, by design: X-Y at en, hybrid at en." in report
    # evaluated in en, de, zh: zh was never trained on, so every group occurs
    assert "| en,de | xquad-r | mono | neither seen |" in report and "| en,de | xquad-r | multi | query unseen |" in report
    assert "hybrid − X-X" in report and "hybrid − X-Y" in report
    heatmaps = tmp_path / "out" / "sweep_languages_heatmaps" / "en-de"
    assert {p.name for p in heatmaps.glob("*.png")} == {"hybrid_minus_X-X_AP.png", "hybrid_minus_X-Y_AP.png"}
    assert "sweep_languages.csv" in capsys.readouterr().out


def test_sweeps_share_a_store_and_report_what_is_stored(two_family_release, tiny_model_dir, tmp_path, monkeypatch):
    """--store: a point two studies share is computed once; --report-only computes nothing and lists what is
    missing."""
    monkeypatch.setenv("PYTERRIER_HYBRID_CACHE", str(tmp_path / "cache"))
    common = ["sweep", "--quick", "--model", str(tiny_model_dir), "--steps", "2", "--batch-size", "4",
              "--max-seq-length", "32", "--train-precision", "fp32", "--store", str(tmp_path / "shared"),
              "--param", "languages"]
    assert main([*common, "--out", str(tmp_path / "a"), "--values", "en,de"]) == 0
    evals = list((tmp_path / "shared" / ".study" / "evals").rglob("*.parquet"))
    assert len(evals) == 1 and not (tmp_path / "a" / ".study").exists()
    assert main([*common, "--out", str(tmp_path / "b"), "--values", "en,de", "en,de,zh", "--report-only"]) == 0
    assert list((tmp_path / "shared" / ".study" / "evals").rglob("*.parquet")) == evals, "nothing computed"
    assert set(pd.read_csv(tmp_path / "b" / "sweep_languages.csv")["value"]) == {"en,de"}
    assert "Not stored yet (run without --report-only): evaluate xquad-r mlqa-r-hybrid-seed0-" in \
        (tmp_path / "b" / "sweep_languages.md").read_text()
    with pytest.raises(SystemExit, match="nothing of this sweep is stored"):
        main([*common, "--out", str(tmp_path / "c"), "--values", "en,zh", "--report-only"])


def test_hard_negative_sweep_on_held_out_items(two_family_release, tiny_model_dir, tmp_path, monkeypatch, capsys):
    """The recipe choice: strategies x hard negatives, scored on held-out training items, never the test family."""
    monkeypatch.setenv("PYTERRIER_HYBRID_CACHE", str(tmp_path / "cache"))
    assert main(["sweep", "--quick", "--model", str(tiny_model_dir), "--out", str(tmp_path / "out"), "--steps", "2",
                 "--batch-size", "4", "--max-seq-length", "32", "--train-precision", "fp32", "--held-out-items", "3",
                 "--param", "hard_negatives", "--values", "none", "paragraph", "--strategies", "xy", "hybrid"]) == 0
    frame = pd.read_csv(tmp_path / "out" / "sweep_hard_negatives.csv")
    assert set(frame["value"]) == {"none", "paragraph"} and set(frame["strategy"]) == {"X-Y", "hybrid"}
    assert set(frame["family"]) == {"mlqa-r"} == set(frame["trained_on"]), "scored on the training family"
    assert frame["score"].notna().all()
    assert len(list((tmp_path / "out" / ".study" / "evals").rglob("*.parquet"))) == 4
    tests = pd.read_csv(tmp_path / "out" / "sweep_hard_negatives_significance.csv")
    pairs = set(zip(tests["system"], tests["baseline"]))
    assert pairs == {("X-Y @ paragraph", "X-Y @ none"), ("hybrid @ paragraph", "hybrid @ none"),
                     ("hybrid @ none", "X-Y @ none"), ("hybrid @ paragraph", "X-Y @ paragraph")}
    assert tests["p_holm"].between(0, 1).all()
    report = (tmp_path / "out" / "sweep_hard_negatives.md").read_text()
    assert "| mlqa-r | hybrid | paragraph | multi |" in report and "Paired t-tests" in report
    assert "hard_negatives" in capsys.readouterr().out


def test_model_sweep_over_two_sizes(two_family_release, tiny_model_dir, tmp_path, monkeypatch):
    """sweep --param model: the same recipe per base model, plotted against each model's parameter count."""
    from tiny_model import build_tiny_model
    monkeypatch.setenv("PYTERRIER_HYBRID_CACHE", str(tmp_path / "cache"))
    larger = build_tiny_model(tmp_path / "larger", hidden=64, layers=3)
    assert main(["sweep", "--quick", "--out", str(tmp_path / "out"), "--steps", "2", "--batch-size", "4",
                 "--max-seq-length", "32", "--train-precision", "fp32", "--param", "model",
                 "--values", str(tiny_model_dir), str(larger)]) == 0
    frame = pd.read_csv(tmp_path / "out" / "sweep_model.csv")
    sizes = frame.groupby("value")["parameters"].first()
    assert sizes[str(larger)] > sizes[str(tiny_model_dir)] > 0
    assert frame["score"].notna().all() and set(frame["strategy"]) == {"hybrid"}
    assert (tmp_path / "out" / "sweep_model.png").stat().st_size > 0
    with pytest.raises(SystemExit, match="does not exist"):
        main(["sweep", "--quick", "--out", str(tmp_path / "bad"), "--param", "model", "--values",
              str(tmp_path / "no-such-model")])


@pytest.mark.parametrize("parameter, text, value", [("alpha", "0.25", 0.25), ("items", "300", 300),
                                                    ("languages", "en,de", ("en", "de")),
                                                    ("hard_negatives", "paragraph", "paragraph")])
def test_parse_value(parameter, text, value):
    assert parse_value(parameter, text) == value


@pytest.mark.parametrize("argv, message", [
    (["--param", "alpha", "--values", "1.5"], "alpha must lie in"),
    (["--param", "items", "--values", "many"], "bad value"),
    (["--param", "languages", "--values", "en,xx"], "xx"),
    (["--param", "hard_negatives", "--values", "none", "dense"], "unknown hard-negative kind 'dense'"),
])
def test_bad_sweep_fails_before_any_work(two_family_release, tiny_model_dir, tmp_path, argv, message):
    with pytest.raises(SystemExit, match=message):
        main(["sweep", "--quick", "--model", str(tiny_model_dir), "--out", str(tmp_path / "out"), *argv])
    assert not (tmp_path / "out").exists()


def test_committed_recipe_parts_keep_their_keys():
    """A field added to TrainConfig later (min_steps) leaves the keys of stored models alone at its "off" value:
    the recipe-selection sweep of docs/results/recipe finds every part it stored."""
    import dataclasses
    from pathlib import Path
    from pyterrier_hybrid.experiments.sweep import sweep_points
    store = Path(__file__).resolve().parents[2] / "docs" / "results" / "recipe" / ".study" / "evals" / "mlqa-r"
    if not store.exists():
        pytest.skip("docs/results/recipe is not in this checkout")
    config = quick_config("intfloat/multilingual-e5-small", fast="fp32", seeds=(0, 1, 2),
                          strategies=("xx", "xx-mixed", "xy", "hybrid"))
    config = dataclasses.replace(config, eval_items=None,
                                 training=config.training.replace(held_out_items=300, precision="fp32"))
    for _, model in sweep_points(config, "hard_negatives", ["none", "paragraph"]):
        name = f"mlqa-r-{model.name}-{config.eval_key('mlqa-r')}.parquet"
        assert (store / name).exists(), name
