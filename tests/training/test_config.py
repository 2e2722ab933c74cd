"""TrainConfig: one shape of training options, validated at once, keyed by what determines the model."""
from __future__ import annotations

import dataclasses

import pytest

from pyterrier_hybrid.training.config import ADDED_OFF, RUN_FIELDS, STRATEGY_NAMES, TrainConfig
from pyterrier_hybrid.training.train import train_config


def test_key_covers_what_determines_the_model_and_nothing_else():
    base = TrainConfig()
    for name in RUN_FIELDS:
        changed = base.replace(**{name: "cpu" if name == "device" else 7})
        assert changed.key() == base.key(), name
    for changes in ({"strategy": "xy"}, {"alpha": 0.25}, {"alpha": "proportional"}, {"xx_kind": "mixed"},
                    {"xx_languages": "proportional"}, {"seed": 1}, {"steps": 3},
                    {"query_prompt": "q: "}, {"word_embeddings": "trained"}, {"loss": "symmetric"},
                    {"hard_negatives": "paragraph"}, {"hard_negatives": "bm25", "negatives_per_query": 2}):
        assert base.replace(**changes).key() != base.key(), changes
    assert set(base.model_fields()) == ({f.name for f in dataclasses.fields(TrainConfig)} - RUN_FIELDS - set(ADDED_OFF)
                                        | {"batch_rules"})
    assert TrainConfig(steps=None, min_steps=40).key() != TrainConfig(steps=None).key()



@pytest.mark.parametrize("changes, message", [
    ({"strategy": "mixed"}, "unknown strategy 'mixed'; valid: " + ", ".join(STRATEGY_NAMES)),
    ({"loss": "triplet"}, "unknown loss"),
    ({"precision": "fp16"}, "unknown training precision"),
    ({"strategy": "xx", "alpha": 0.5}, "alpha applies to the hybrid / random strategy only"),
    ({"strategy": "xy", "xx_languages": "uniform"}, "xx_languages applies to the xx / hybrid / random strategy only"),
    ({"strategy": "xx", "xx_kind": "mixed"}, "xx_kind applies to the hybrid / random strategy only"),
    ({"xx_kind": "mixed", "xx_languages": "proportional"}, "xx_languages applies to one-language X-X batches"),
    ({"xx_kind": "other"}, "unknown X-X kind 'other'; valid: one-language, mixed"),
    ({"xx_languages": "zipf"}, "unknown X-X language draw 'zipf'; valid: uniform, proportional"),
    ({"alpha": 1.5}, "alpha must lie in"),
    ({"alpha": "half"}, "alpha must lie in"),
    ({"strategy": "xx-mono"}, "strategy 'xx-mono' was renamed: use strategy 'xx'"),
    ({"steps": 0}, "steps must be >= 1"),
    ({"epochs": 0}, "epochs must be > 0"),
    ({"steps": 5, "min_steps": 3}, "min_steps must be >= 1, and only when training by epochs"),
    ({"min_steps": 0}, "min_steps must be >= 1"),
    ({"batch_size": 1}, "batch_size must be >= 2"),
    ({"learning_rate": -1}, "learning_rate must be > 0"),
    ({"hard_negatives": "dense"}, "unknown hard-negative kind 'dense'; valid: none, paragraph, bm25, model"),
    ({"hard_negatives": "bm25", "negatives_per_query": 0}, "negatives_per_query must be >= 1"),
    ({"negatives_per_query": 2}, "negatives_per_query must be >= 1 \\(and 1, the default, without hard"),
])
def test_bad_values_fail_at_once(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


def test_each_strategy_takes_its_options_with_the_papers_defaults():
    hybrid = TrainConfig()
    assert (hybrid.alpha, hybrid.xx_kind, hybrid.xx_languages) == (0.5, "one-language", "uniform")
    assert TrainConfig(strategy="xx").sampler_options() == {"xx_languages": "uniform"}
    assert TrainConfig(strategy="xy").sampler_options() == {} == TrainConfig(strategy="xx-mixed").sampler_options()
    assert TrainConfig(xx_kind="mixed").sampler_options() == {"alpha": 0.5, "xx_kind": "mixed", "xx_languages": None}
    assert hybrid.replace(strategy="xy").alpha is None  # a new strategy takes its own options
    assert TrainConfig(alpha=1).alpha == 1.0 and TrainConfig(alpha=1).key() == TrainConfig(alpha=1.0).key()


def test_removed_names_say_what_replaced_them():
    with pytest.raises(TypeError, match="mono_xx=...\\) was removed: use xx_kind"):
        train_config(None, mono_xx=True)


def test_auto_precision_is_resolved_so_the_key_records_what_ran():
    from pyterrier_hybrid.core.cpu import native_bf16
    assert TrainConfig(precision="auto").precision == ("bf16" if native_bf16() else "fp32")


def test_old_keywords_still_work_with_a_warning():
    with pytest.warns(DeprecationWarning, match="max_steps"):
        config = train_config(None, max_steps=5, bf16=True, freeze_word_embeddings=False)
    assert (config.steps, config.precision, config.word_embeddings) == (5, "bf16", "trained")
    with pytest.warns(DeprecationWarning, match="strategy"):
        assert train_config("xy").strategy == "xy"
    with pytest.raises(TypeError, match="unknown option"):
        train_config(None, batchsize=4)
