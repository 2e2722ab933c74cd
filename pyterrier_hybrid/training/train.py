"""``train()``: fine-tune a sentence-transformers model with one of the batch strategies.

torch, transformers and sentence-transformers (~10 s to import) are imported when first needed, so that
``import pyterrier_hybrid`` stays fast; ``GuardedTrainer`` is built on first use (``guarded_trainer_class``).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import os
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from pyterrier_hybrid.models import resolve_model
from pyterrier_hybrid.training.checkpoints import checkpoint_dir, last_complete_checkpoint, timed_checkpoints
from pyterrier_hybrid.training.config import DEPRECATED_KEYWORDS, LOSSES, RENAMED, TrainConfig
from pyterrier_hybrid.training.pairs import PairKeys
from pyterrier_hybrid.training.parallel_qa import ParallelQA
from pyterrier_hybrid.training.plain import PLAIN, plain_dataset, plain_rows

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

logger = logging.getLogger(__name__)



class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite."""


@functools.cache
def guarded_trainer_class() -> type:
    """``GuardedTrainer``: a ``SentenceTransformerTrainer`` that stops at the first non-finite loss.

    It stops before the optimiser step, so no checkpoint holds that loss. (A ``TrainerCallback`` only sees
    logged, averaged losses, after later steps may have saved a checkpoint from the corrupted weights;
    checking in ``compute_loss`` names the exact step.) Built on first call, as it needs sentence-transformers.
    """
    import torch
    from sentence_transformers import SentenceTransformerTrainer
    from transformers.trainer_utils import get_last_checkpoint

    class GuardedTrainer(SentenceTransformerTrainer):
        """Stops at the first non-finite loss, before the optimiser step (see ``guarded_trainer_class``)."""

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            """The parent's loss, raising :class:`NonFiniteLossError` when it is NaN or inf."""
            result = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            loss = result[0] if return_outputs else result
            if not torch.isfinite(loss.detach()).all():
                last = get_last_checkpoint(self.args.output_dir) if Path(self.args.output_dir).is_dir() else None
                raise NonFiniteLossError(f"loss is {loss.item()} at step {self.state.global_step + 1}: training "
                                         f"stopped; last good checkpoint: {last or 'none'}")
            return result

    GuardedTrainer.__module__, GuardedTrainer.__qualname__ = __name__, "GuardedTrainer"
    return GuardedTrainer


def __getattr__(name: str):
    """``GuardedTrainer`` as a module attribute, built on first access (see ``guarded_trainer_class``)."""
    if name == "GuardedTrainer":
        return guarded_trainer_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def resolve_device(device: str) -> str:
    """``auto`` is ``cuda`` when a GPU is present, else ``cpu``."""
    import torch
    return ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device


def make_loss(name: str, model: SentenceTransformer, gather: bool, mini_batch_size: int) -> torch.nn.Module:
    """MultipleNegativesRankingLoss (``mnrl``), its cached variant, or the symmetric (both directions) one."""
    from sentence_transformers.sentence_transformer import losses
    if name == "mnrl":
        return losses.MultipleNegativesRankingLoss(model, gather_across_devices=gather)
    if name == "cached-mnrl":
        return losses.CachedMultipleNegativesRankingLoss(model, mini_batch_size=mini_batch_size,
                                                         gather_across_devices=gather)
    if name == "symmetric":
        return losses.MultipleNegativesRankingLoss(model, gather_across_devices=gather,
                                                   directions=("query_to_doc", "doc_to_query"))
    raise ValueError(f"unknown loss {name!r}; valid: {', '.join(LOSSES)}")


def held_out_evaluator(data: ParallelQA, query_prompt: str | None, document_prompt: str | None,
                       ) -> InformationRetrievalEvaluator:
    """Retrieval over held-out items, every language pooled: a question's answers in all languages are relevant."""
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator
    rows = data.table.to_pylist()
    queries = {f"{r['lang']}:{r['item_id']}": r["question"] for r in rows}
    corpus = {f"{r['lang']}:{r['item_id']}:a": r["answer"] for r in rows}
    answers: dict[str, set[str]] = {}
    for r in rows:
        answers.setdefault(r["item_id"], set()).add(f"{r['lang']}:{r['item_id']}:a")
    relevant = {f"{r['lang']}:{r['item_id']}": answers[r["item_id"]] for r in rows}
    return InformationRetrievalEvaluator(queries, corpus, relevant, name="held_out", write_csv=False,
                                         query_prompt=query_prompt, corpus_prompt=document_prompt)


def model_card_section(info: dict) -> str:
    """Markdown recording how the model was trained (appended to the saved model card)."""
    lines = "\n".join(f"- **{key}**: {value}" for key, value in info.items())
    return f"\n\n## pyterrier-hybrid training\n\n{lines}\n"


def train_config(config: TrainConfig | str | None = None, **overrides) -> TrainConfig:
    """``config`` (default: ``TrainConfig()``) with ``overrides`` applied. The names ``train()`` took before
    :class:`TrainConfig` (a strategy string as ``config``, ``max_steps``, ``bf16``, ``freeze_word_embeddings``)
    still work, with a DeprecationWarning."""
    if isinstance(config, str):
        warnings.warn("train(model, data, 'strategy') is deprecated: pass strategy='...' or a TrainConfig",
                      DeprecationWarning, stacklevel=3)
        config, overrides = None, {"strategy": config, **overrides}
    for old, (new, convert) in DEPRECATED_KEYWORDS.items():
        if old in overrides:
            warnings.warn(f"train(..., {old}=...) is deprecated: use {new}=...", DeprecationWarning, stacklevel=3)
            overrides[new] = convert(overrides.pop(old))
    renamed = [name for name in overrides if name in RENAMED]
    if renamed:
        raise TypeError("; ".join(f"train(..., {name}=...) was removed: use {RENAMED[name]}" for name in renamed))
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise TypeError(f"train() got unknown option(s) {', '.join(unknown)}; TrainConfig fields: {', '.join(sorted(fields))}")
    return (config or TrainConfig()).replace(**overrides)


def train(base_model: str, data: ParallelQA, config: TrainConfig | None = None, *, output_dir: str | Path = "model",
          resume: bool = False, save: bool = True, **overrides) -> SentenceTransformer:
    """Fine-tune ``base_model`` on ``data`` as ``config`` says (a :class:`TrainConfig`; ``overrides`` replace its
    fields, e.g. ``train(model, data, strategy="xy", steps=200)``); return the model.

    The final model, its card and ``batch_stats.json`` go to ``output_dir``; checkpoints beside it, in
    ``<output_dir>.checkpoints`` (see :mod:`~pyterrier_hybrid.training.checkpoints`: none for runs shorter than
    ``checkpoint_minutes``, only the last complete one kept). ``resume`` continues from the last complete
    checkpoint. ``save=False`` writes nothing to ``output_dir`` (a caller that only evaluates the returned model,
    e.g. a study store, keeps no weights). Bad input raises ValueError before the model is loaded.
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments

    from pyterrier_hybrid.training.samplers import STRATEGIES, BatchStats, HybridBatchSampler
    config = train_config(config, **overrides)
    if len(data) == 0:
        raise ValueError(f"the training data ({data.source}) is empty")
    output_dir = Path(output_dir)
    checkpoints = checkpoint_dir(output_dir)
    resume_from = last_complete_checkpoint(checkpoints) if resume else None
    if resume and resume_from is None:
        raise ValueError(f"resume asked for, but {checkpoints} holds no checkpoint (none complete)")
    c = config
    train_data, held_out = data.split_items(c.validation_items, c.seed) if c.validation_items else (data, None)
    pairs = PairKeys(train_data, c.seed)
    plain = c.strategy == PLAIN
    if plain:  # a plain dataset of every pair, batched by sentence-transformers' own sampler
        from sentence_transformers.base.sampler import BatchSamplers
        stats, probe, sampler_factory = None, None, BatchSamplers.NO_DUPLICATES
        n_pairs = len(plain_rows(pairs)[0])
        if n_pairs < c.batch_size:
            raise ValueError(f"{train_data.source} gives {n_pairs} pairs, fewer than a batch of {c.batch_size}")
        logger.info("%s; strategy %s: %d pairs of every language combination", train_data.summary(), c.strategy,
                    n_pairs)
    else:
        stats = BatchStats(train_data.languages)
        sampler_factory = functools.partial(STRATEGIES[c.strategy], pairs=pairs, stats=stats, **c.sampler_options())
        dataset = pairs.dataset()
        probe = sampler_factory(dataset, batch_size=c.batch_size, drop_last=False, seed=c.seed)  # validates now
        logger.info("%s; strategy %s: %d batches per epoch", train_data.summary(), c.strategy, len(probe))
    world_size = probe.world_size if probe else int(os.environ.get("WORLD_SIZE", "1"))
    steps = c.steps
    if steps is None and c.min_steps:  # epochs, but at least min_steps
        per_epoch = len(probe) // world_size if probe else n_pairs // (c.batch_size * world_size)
        steps = max(c.min_steps, math.ceil(c.epochs * per_epoch))
        logger.info("%g epochs of %d steps, at least %d: %d steps", c.epochs, per_epoch, c.min_steps, steps)

    model = SentenceTransformer(resolve_model(base_model), device=resolve_device(c.device))
    if c.max_seq_length:
        model.max_seq_length = c.max_seq_length
    if c.freeze_word_embeddings:
        model[0].auto_model.get_input_embeddings().weight.requires_grad_(False)
    # as at evaluation (DenseEncoder): without an explicit prompt, the model's own query/document prompt
    model_prompts = model.prompts or {}
    query_prompt = model_prompts.get("query", "") if c.query_prompt is None else c.query_prompt
    document_prompt = model_prompts.get("document", "") if c.document_prompt is None else c.document_prompt
    if c.hard_negatives != "none":  # after the model: the ``model`` kind mines with it, as it is before training
        from pyterrier_hybrid.training.negatives import HardNegatives
        pairs.negatives = HardNegatives(pairs, c.hard_negatives, c.negatives_per_query, model=model,
                                        prompts=(query_prompt, document_prompt))
    if plain:  # its negatives (if any) are stored columns, so the dataset is built after them
        dataset = plain_dataset(pairs, c.seed)
    evaluator = held_out_evaluator(held_out, query_prompt, document_prompt) if held_out else None
    # validation needs step checkpoints (the best is kept with the last); otherwise by steps only when asked
    every = c.save_steps or 500
    save_policy = ({"save_strategy": "steps", "save_steps": every, "save_total_limit": 2, "eval_strategy": "steps",
                    "eval_steps": every} if evaluator else
                   {"save_strategy": "steps", "save_steps": c.save_steps, "save_total_limit": 1}
                   if c.save_steps else {"save_strategy": "no", "save_total_limit": 1})
    args = SentenceTransformerTrainingArguments(
        output_dir=str(checkpoints), per_device_train_batch_size=c.batch_size, num_train_epochs=c.epochs,
        max_steps=steps or -1, learning_rate=c.learning_rate, warmup_steps=c.warmup_ratio, seed=c.seed,
        batch_sampler=sampler_factory, logging_steps=c.logging_steps, **save_policy,
        load_best_model_at_end=evaluator is not None,
        metric_for_best_model="eval_held_out_cosine_ndcg@10" if evaluator else None,
        prompts={k: v for k, v in (("anchor", query_prompt), ("positive", document_prompt),
                                   *((column, document_prompt) for column in pairs.negative_columns())) if v} or None,
        use_cpu=resolve_device(c.device) == "cpu", bf16=c.bf16, report_to="none", dataloader_num_workers=0)
    trainer = guarded_trainer_class()(model=model, args=args, train_dataset=dataset, evaluator=evaluator,
                                      loss=make_loss(c.loss, model, world_size > 1, c.mini_batch_size),
                                      callbacks=[*([stats.callback(args.gradient_accumulation_steps * world_size)]
                                                   if stats else []),
                                                 *([] if c.save_steps or evaluator else
                                                   [timed_checkpoints(c.checkpoint_minutes)])])
    start = time.monotonic()
    result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    elapsed = time.monotonic() - start
    options = " ".join(f"{name}={value}" for name, value in c.sampler_options().items()) or "none"
    info = {"strategy": c.strategy, "strategy options": options,
            "alpha": f"{probe.resolved_alpha:.4f}" if isinstance(probe, HybridBatchSampler) else "n/a", "data": train_data.source, "languages": " ".join(train_data.languages),
            "steps": result.global_step, "seed": c.seed, "loss": c.loss, "batch size": c.batch_size,
            "hard negatives": c.hard_negatives if c.hard_negatives == "none" else
            f"{c.hard_negatives} ({c.negatives_per_query} per query)",
            "held-out items": c.validation_items, "precision": "bf16 autocast" if c.bf16 else "fp32",
            "word embeddings": c.word_embeddings, "query prompt": repr(query_prompt),
            "document prompt": repr(document_prompt), "config key": c.key()}
    if not trainer.is_world_process_zero():
        return model
    batches = stats.to_dict() if stats else {"batch sampler": "sentence-transformers NoDuplicatesBatchSampler",
                                              "pairs": len(dataset)}
    logger.info("realised batches: %s", json.dumps(batches))
    if save:
        model.save(str(output_dir))
        with open(output_dir / "README.md", "a", encoding="utf-8") as card:
            card.write(model_card_section(info))
        (output_dir / "batch_stats.json").write_text(json.dumps({**info, "config": c.model_fields(), **batches},
                                                                indent=2))
    final_loss = next((log["loss"] for log in reversed(trainer.state.log_history) if "loss" in log),
                      result.training_loss)  # runs shorter than logging_steps log no step loss
    summary = (f"trained {c.strategy} for {result.global_step} steps in {elapsed:.1f}s, final loss {final_loss:.4f}"
               + (f", model saved to {output_dir}" if save else ""))
    logger.info(summary)
    print(summary)
    return model
