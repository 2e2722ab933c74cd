"""``train()``: fine-tune a sentence-transformers model with one of the batch strategies.

torch, transformers and sentence-transformers (~10 s to import) are imported when first needed, so that
``import pyterrier_hybrid`` stays fast; ``GuardedTrainer`` is built on first use (``guarded_trainer_class``).
"""
from __future__ import annotations

import functools
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pyterrier_hybrid.models import resolve_model
from pyterrier_hybrid.training.pairs import PairKeys
from pyterrier_hybrid.training.parallel_qa import ParallelQA

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

logger = logging.getLogger(__name__)

LOSSES = ("mnrl", "cached-mnrl", "symmetric")
#: The batch strategies (``samplers.STRATEGIES`` maps them to their samplers; named here, cheap to import).
STRATEGY_NAMES = ("xx", "xx-mono", "xy", "hybrid")


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


def train(base_model: str, data: ParallelQA, strategy: str = "hybrid", alpha: float | None = None, *,
          output_dir: str | Path = "model", batch_size: int = 32, epochs: float = 1.0, max_steps: int = -1,
          learning_rate: float = 2e-5, warmup_ratio: float = 0.1, max_seq_length: int | None = None,
          query_prompt: str | None = None, document_prompt: str | None = None,
          freeze_word_embeddings: bool = False, loss: str = "mnrl", mini_batch_size: int = 32,
          mono_xx: bool = False, seed: int = 0, device: str = "auto", save_steps: int = 500,
          resume: bool = False, validation_items: int = 0, logging_steps: int = 10,
          bf16: bool = False) -> SentenceTransformer:
    """Fine-tune ``base_model`` on ``data`` with batch ``strategy`` (xx, xx-mono, xy, hybrid); return the model.

    Prompts default to the model's own ``query`` / ``document`` prompts (as evaluation does).
    ``warmup_ratio`` is the share of the training steps with a rising learning rate. ``bf16`` runs forward and
    backward under bfloat16 autocast (weights and optimizer stay fp32; on CPUs with AMX/AVX512-BF16 it is faster).
    Checkpoints (the last two) go to ``output_dir/checkpoints``; the final model, its card and ``batch_stats.json``
    to ``output_dir``. Bad input raises ValueError before the model is loaded.
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments
    from transformers.trainer_utils import get_last_checkpoint

    from pyterrier_hybrid.training.samplers import STRATEGIES, BatchStats, HybridBatchSampler
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; valid: {', '.join(STRATEGIES)}")
    if alpha is not None and strategy != "hybrid":
        raise ValueError(f"alpha applies to the hybrid strategy only, not {strategy!r}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; valid: {', '.join(LOSSES)}")
    if len(data) == 0:
        raise ValueError(f"the training data ({data.source}) is empty")
    output_dir = Path(output_dir)
    checkpoints = output_dir / "checkpoints"
    if resume and not (checkpoints.is_dir() and get_last_checkpoint(str(checkpoints))):
        raise ValueError(f"resume asked for, but {checkpoints} holds no checkpoint")
    train_data, held_out = data.split_items(validation_items, seed) if validation_items else (data, None)
    pairs = PairKeys(train_data, seed)
    stats = BatchStats(train_data.languages)
    options = {"alpha": alpha, "mono_xx": mono_xx} if strategy == "hybrid" else {}
    sampler_factory = functools.partial(STRATEGIES[strategy], pairs=pairs, stats=stats, **options)
    dataset = pairs.dataset()
    probe = sampler_factory(dataset, batch_size=batch_size, drop_last=False, seed=seed)  # validates now
    logger.info("%s; strategy %s: %d batches per epoch", train_data.summary(), strategy, len(probe))

    model = SentenceTransformer(resolve_model(base_model), device=resolve_device(device))
    if max_seq_length:
        model.max_seq_length = max_seq_length
    if freeze_word_embeddings:
        model[0].auto_model.get_input_embeddings().weight.requires_grad_(False)
    # as at evaluation (DenseEncoder): without an explicit prompt, the model's own query/document prompt
    model_prompts = model.prompts or {}
    query_prompt = model_prompts.get("query", "") if query_prompt is None else query_prompt
    document_prompt = model_prompts.get("document", "") if document_prompt is None else document_prompt
    evaluator = held_out_evaluator(held_out, query_prompt, document_prompt) if held_out else None
    args = SentenceTransformerTrainingArguments(
        output_dir=str(checkpoints), per_device_train_batch_size=batch_size, num_train_epochs=epochs,
        max_steps=max_steps, learning_rate=learning_rate, warmup_steps=warmup_ratio, seed=seed,
        batch_sampler=sampler_factory, save_strategy="steps", save_steps=save_steps, save_total_limit=2,
        logging_steps=logging_steps,
        eval_strategy="steps" if evaluator else "no", eval_steps=save_steps,
        load_best_model_at_end=evaluator is not None,
        metric_for_best_model="eval_held_out_cosine_ndcg@10" if evaluator else None,
        prompts={k: v for k, v in (("anchor", query_prompt), ("positive", document_prompt)) if v} or None,
        use_cpu=resolve_device(device) == "cpu", bf16=bf16, report_to="none", dataloader_num_workers=0)
    trainer = guarded_trainer_class()(model=model, args=args, train_dataset=dataset, evaluator=evaluator,
                             loss=make_loss(loss, model, probe.world_size > 1, mini_batch_size))
    start = time.monotonic()
    result = trainer.train(resume_from_checkpoint=resume or None)
    elapsed = time.monotonic() - start
    info = {"strategy": strategy, "alpha": f"{probe.resolved_alpha:.4f}" if isinstance(probe, HybridBatchSampler)
            else "n/a", "data": train_data.source, "languages": " ".join(train_data.languages),
            "steps": result.global_step, "seed": seed, "loss": loss, "batch size": batch_size,
            "held-out items": validation_items, "precision": "bf16 autocast" if bf16 else "fp32",
            "query prompt": repr(query_prompt),
            "document prompt": repr(document_prompt)}
    if trainer.is_world_process_zero():
        model.save(str(output_dir))
        with open(output_dir / "README.md", "a", encoding="utf-8") as card:
            card.write(model_card_section(info))
        (output_dir / "batch_stats.json").write_text(json.dumps({**info, **stats.to_dict()}, indent=2))
        logger.info("realised batches: %s", json.dumps(stats.to_dict()))
        final_loss = next((log["loss"] for log in reversed(trainer.state.log_history) if "loss" in log),
                          result.training_loss)  # runs shorter than logging_steps log no step loss
        summary = (f"trained {strategy} for {result.global_step} steps in {elapsed:.1f}s, final loss "
                   f"{final_loss:.4f}, model saved to {output_dir}")
        logger.info(summary)
        print(summary)
    return model
