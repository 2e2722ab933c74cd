"""The fingerprint follows what determines the embeddings (weights, config, tokenizer, pooling, normalisation)
and nothing else: not checkpoints, model cards, training records or where the model lies."""
from __future__ import annotations

import shutil

from pyterrier_hybrid.retrieval.fingerprint import directory_fingerprint, embedding_files


def test_only_what_determines_the_embeddings_counts(tiny_model_dir, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    before = directory_fingerprint(model)
    (model / "checkpoints" / "checkpoint-2").mkdir(parents=True)  # before: 632 MB of optimizer state counted
    (model / "checkpoints" / "checkpoint-2" / "optimizer.pt").write_bytes(b"x" * 1000)
    (model / "README.md").write_text("## another model card")
    (model / "batch_stats.json").write_text("{}")
    config = model / "config_sentence_transformers.json"  # another library version wrote it
    config.write_text(config.read_text().replace("\"__version__\": {", "\"__version__\": {\"other\": \"9\", ", 1))
    assert "other" in config.read_text()
    assert directory_fingerprint(model) == before
    copy = tmp_path / "copy"  # a copy without any of it, elsewhere
    shutil.copytree(tiny_model_dir, copy, ignore=shutil.ignore_patterns("README.md", "_bert"))
    assert directory_fingerprint(copy) == before
    names = {p.relative_to(model).as_posix() for p in embedding_files(model)}
    assert {"model.safetensors", "config.json", "tokenizer.json", "modules.json", "1_Pooling/config.json"} <= names


def test_weights_tokenizer_and_pooling_change_it(tiny_model_dir, tmp_path):
    for changed in ("model.safetensors", "tokenizer.json", "1_Pooling/config.json"):
        model = tmp_path / changed.replace("/", "_")
        shutil.copytree(tiny_model_dir, model)
        before = directory_fingerprint(model)
        with open(model / changed, "ab") as f:
            f.write(b" ")
        assert directory_fingerprint(model) != before, changed
