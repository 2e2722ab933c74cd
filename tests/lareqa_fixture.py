"""Writes a small MLQA-R-shaped release (all 7 languages) whose answers are known by construction,
and on request an XQuAD-R-shaped one (all 11 languages, every question in every language)."""
from __future__ import annotations

import json
from pathlib import Path

from datasets_ext import LANGUAGES
from datasets_ext.lareqa_source import SourceFile, md5_of

FAMILY = "mlqa-r"
ARTICLES, PARAGRAPHS, SENTENCES = 2, 2, 3


def qid(a: int, p: int, s: int) -> str:
    return f"q{a}{p}{s}"


def has_question(lang: str, s: int, family: str = FAMILY) -> bool:
    """English has every question; in MLQA-R the other languages lack those answered by sentence 2."""
    return lang == "en" or s != 2 or family != "mlqa-r"


def paragraph(lang: str, a: int, p: int, family: str = FAMILY) -> dict:
    sentences = [f"{lang} sentence {a}.{p}.{s} tells fact number {s}." for s in range(SENTENCES)]
    contiguous = (a, p) == (1, 1)  # spans that touch: [b, e) then [e, ...)
    sep = "" if contiguous else " "
    breaks, start = [], 0
    for text in sentences:
        breaks.append([start, start + len(text)])
        start += len(text) + len(sep)
    qas = [{"id": qid(a, p, s), "question": f"{lang} question {a}.{p}.{s}?",
            "answers": [{"answer_start": breaks[s][0] + 3, "text": "sentence"}]}
           for s in range(SENTENCES) if has_question(lang, s, family)]
    if (a, p) in ((0, 0), (1, 1)):
        # the answer of sentence 1 starts exactly where span 0 ends (in the gap, or at the shared boundary)
        qas[1]["answers"][0]["answer_start"] = breaks[0][1]
    return {"context": sep.join(sentences), "sentences": sentences, "sentence_breaks": breaks, "qas": qas}


def write_release(root: Path, families: tuple[str, ...] = (FAMILY,)) -> dict[str, SourceFile]:
    """Write ``root/{family}/{lang}.json`` for every language of ``families``; return manifest entries for them."""
    entries = {}
    for family in families:
        for lang in LANGUAGES[family]:
            data = {"version": "1.0", "data": [
                {"title": f"Article_{a}", "paragraphs": [paragraph(lang, a, p, family) for p in range(PARAGRAPHS)]}
                for a in range(ARTICLES)]}
            path = root / family / f"{lang}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            key = f"{family}/{lang}.json"
            entries[key] = SourceFile(key, md5_of(path), path.stat().st_size, f"http://unused/{key}")
    return entries
