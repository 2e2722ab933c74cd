"""A tiny sentence-transformers model built offline from fixture text, for fast tests.

A WordPiece tokenizer with a fixed vocabulary of the given texts (``tokenizers``) is wrapped around a
randomly initialised 2-layer BERT; the result is saved as an ordinary sentence-transformers
directory (Transformer -> mean pooling -> L2 normalise), so every code path that loads a model
by path is exercised without any hub access.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

FIXTURE_TEXTS = [
    "Where is the red house? The red house stands near the river.",
    "Wo steht das rote Haus? Das rote Haus steht am Fluss.",
    "Who wrote the book about stars? The astronomer wrote the book about stars.",
    "Wer schrieb das Buch über Sterne? Die Astronomin schrieb das Buch über Sterne.",
    "¿Dónde está la casa roja? La casa roja está cerca del río.",
    "How many players are in a team? A team has eleven players.",
    "Wie viele Spieler hat eine Mannschaft? Eine Mannschaft hat elf Spieler.",
    "红房子在哪里？红房子在河边。",
]


def build_tiny_model(out_dir: str | Path, texts: Iterable[str] = (), *, hidden: int = 32, layers: int = 2,
                     vocab_size: int = 400, seed: int = 0) -> Path:
    """Write a tiny sentence-transformers model to ``out_dir`` and return its path."""
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as st_models

    out_dir = Path(out_dir)
    corpus = list(FIXTURE_TEXTS) + list(texts)
    # A fixed vocabulary (no trainer: WordPiece training breaks ties between equal merges in hash order, so two
    # builds of the same texts would differ): characters, their continuations, then the most frequent words.
    normalizer, pre_tokenizer = normalizers.BertNormalizer(lowercase=True), pre_tokenizers.BertPreTokenizer()
    counts = Counter(w for text in corpus for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    chars = sorted({c for w in counts for c in w})
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    pieces = [*specials, *chars, *(f"##{c}" for c in chars)]
    words = [w for w, _ in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0])) if w not in pieces]
    vocab = [*pieces, *words][:max(vocab_size, len(pieces))]
    tok = Tokenizer(models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer, tok.pre_tokenizer, tok.decoder = normalizer, pre_tokenizer, decoders.WordPiece()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                     cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                     model_max_length=128)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=2, intermediate_size=hidden * 2, max_position_embeddings=128)
    bert_dir = out_dir / "_bert"
    BertModel(config).save_pretrained(bert_dir)
    hf_tok.save_pretrained(bert_dir)
    transformer = st_models.Transformer(str(bert_dir), max_seq_length=64)
    pooling = st_models.Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(modules=[transformer, pooling, st_models.Normalize()], device="cpu")
    model.save(str(out_dir))
    return out_dir
