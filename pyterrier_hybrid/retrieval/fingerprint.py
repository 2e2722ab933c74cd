"""Model fingerprints: what makes two models produce the same embeddings.

A local model directory is fingerprinted by a SHA-256 over the relative path and content hash of the files that
determine its embeddings, and no others (:func:`embedding_files`): the module list, each module's weights and
configuration (the transformer's config and tokenizer, pooling, normalisation, dense layers). A model card,
training records, checkpoints or a copy elsewhere do not change it. Content hashes are remembered in
``fingerprints.json`` under the cache root, keyed by (absolute path, size, mtime), so a second run hashes
nothing. An in-memory model (a hub name loaded from the local Hugging Face cache, or a model being trained) is
fingerprinted by its module layout and the bytes of its parameters and buffers.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pyterrier_hybrid.core.atomic import atomic_write_json
from pyterrier_hybrid.core.keys import file_sha256


def _file_sha256(path: Path) -> str:
    if path.name == "config_sentence_transformers.json":  # prompts and similarity count, versions do not
        settings = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if k != "__version__"}
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    return file_sha256(path)


#: Files of a sentence-transformers module that determine its output: weights, configuration, tokenizer, prompts.
#: (``config_sentence_transformers.json`` counts without the library versions that wrote it; model cards and
#: training records are not read by the model.)
EMBEDDING_FILE_PATTERNS: tuple[str, ...] = (
    "modules.json", "config.json", "config_sentence_transformers.json", "sentence_bert_config.json", "*.safetensors", "*.safetensors.index.json",
    "pytorch_model*.bin", "pytorch_model.bin.index.json", "tokenizer.json", "tokenizer_config.json",
    "special_tokens_map.json", "added_tokens.json", "vocab.txt", "vocab.json", "merges.txt", "*.model")


def embedding_files(model_dir: Path) -> list[Path]:
    """The files of a sentence-transformers directory that determine its embeddings: the root's and those of each
    module folder named in ``modules.json`` (every file of the directory when it has no ``modules.json``)."""
    modules = model_dir / "modules.json"
    if not modules.exists():
        return sorted(p for p in model_dir.rglob("*") if p.is_file())
    folders = {model_dir, *(model_dir / m["path"] for m in json.loads(modules.read_text()) if m.get("path"))}
    return sorted({p for folder in folders for pattern in EMBEDDING_FILE_PATTERNS for p in folder.glob(pattern)
                   if p.is_file()})


def directory_fingerprint(model_dir: str | Path, memo_file: str | Path | None = None) -> str:
    """Content fingerprint (hex) of a model directory's :func:`embedding_files`; file hashes are memoised in
    ``memo_file``."""
    model_dir = Path(model_dir).resolve()
    memo_path = Path(memo_file) if memo_file is not None else None
    memo: dict[str, str] = {}
    if memo_path is not None and memo_path.exists():
        try:
            memo = json.loads(memo_path.read_text())
        except ValueError:  # a damaged memo only costs re-hashing
            memo = {}
    total, changed = hashlib.sha256(), False
    for path in embedding_files(model_dir):
        st = path.stat()
        memo_key = f"{path}|{st.st_size}|{st.st_mtime_ns}"
        if memo_key not in memo:
            memo[memo_key], changed = _file_sha256(path), True
        total.update(f"{path.relative_to(model_dir).as_posix()}\0{memo[memo_key]}\n".encode())
    if changed and memo_path is not None:
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(memo_path, memo, indent=0)
    return total.hexdigest()[:32]


def module_fingerprint(model) -> str:
    """Fingerprint (hex) of an in-memory torch module: its layout and every parameter and buffer."""
    import torch
    h = hashlib.sha256(repr(model).encode())
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:32]
