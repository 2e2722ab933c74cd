"""The research studies share points through one store (docs/results/studies/run.sh): the batch-type study's
`reproduce` over all MLQA-R languages must find the language sweep's all-language X-X, X-Y and hybrid models and
evaluations under the same keys, or they would be trained twice."""
from __future__ import annotations

import pytest

from pyterrier_hybrid.cli import main

COMMON = ["--train-on", "mlqa-r", "--batch-size", "16", "--max-seq-length", "64", "--hard-negatives", "none",
          "--eval-items", "300", "--encode-precision", "fp32", "--train-precision", "fp32", "--seeds", "0", "1", "2",
          "--steps", "100", "--store", "unused"]
ALL = "ar,de,en,es,hi,vi,zh"


class Captured(Exception):
    def __init__(self, config):
        self.config = config


def captured_config(monkeypatch, module: str, function: str, argv: list[str]):
    def capture(config, *args, **kwargs):
        raise Captured(config)
    monkeypatch.setattr(f"pyterrier_hybrid.experiments.{module}.{function}", capture)
    with pytest.raises(Captured) as caught:
        main(argv)
    return caught.value.config


def test_the_batch_type_study_reuses_the_language_sweeps_points(monkeypatch):
    from pyterrier_hybrid.experiments.sweep import sweep_points
    sweep = captured_config(monkeypatch, "sweep", "run_sweep",
                            ["sweep", *COMMON, "--param", "languages", "--values", "en", ALL,
                             "--strategies", "xx", "xy", "hybrid"])
    study = captured_config(monkeypatch, "reproduce", "run_study",
                            ["reproduce", *COMMON, "--train-languages", *ALL.split(","),
                             "--strategies", "xx", "xy", "hybrid", "random", "st-plain"])
    swept = {model.name for value, model in sweep_points(sweep, "languages", [("en",), tuple(ALL.split(","))])
             if value != ("en",)}
    reproduced = {study.model("mlqa-r", s, seed).name for s in ("xx", "xy", "hybrid") for seed in (0, 1, 2)}
    assert swept == reproduced and len(swept) == 9
    assert sweep.eval_key("xquad-r") == study.eval_key("xquad-r")
