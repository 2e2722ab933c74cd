"""The samplers with a user's own dataset: a misuse is refused with a message saying how to build one; the
documented recipe (ParallelQA -> PairKeys -> pairs.dataset() + the sampler) trains with a plain trainer."""
from __future__ import annotations

import functools

import datasets
import pytest

from pyterrier_hybrid.training import HybridBatchSampler, PairKeys, XYBatchSampler
from test_train import synthetic


@pytest.mark.parametrize("rows", [8, 500])  # before: IndexError when small, wrong pairs when larger
def test_a_dataset_the_sampler_did_not_build_is_refused(rows):
    pairs = PairKeys(synthetic(24))
    own = datasets.Dataset.from_dict({"anchor": [f"q{i}" for i in range(rows)],
                                      "positive": [f"a{i}" for i in range(rows)]})
    with pytest.raises(ValueError, match="pass train_dataset=pairs.dataset"):
        XYBatchSampler(own, 4, False, pairs=pairs)
    with pytest.raises(ValueError, match="ParallelQA"):  # nor the keys of another PairKeys
        HybridBatchSampler(PairKeys(synthetic(24)).dataset(), 4, False, pairs=pairs)


def test_the_recipe_trains_with_a_plain_sentence_transformers_trainer(tiny_model_dir, tmp_path):
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments

    pairs = PairKeys(synthetic(24), seed=0)
    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    args = SentenceTransformerTrainingArguments(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=4, max_steps=3, report_to="none",
        use_cpu=True, save_strategy="no", batch_sampler=functools.partial(HybridBatchSampler, pairs=pairs))
    trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=pairs.dataset(),
                                         loss=MultipleNegativesRankingLoss(model))
    assert trainer.train().global_step == 3
