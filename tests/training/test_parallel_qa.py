"""ParallelQA builders, statistics and errors."""
from __future__ import annotations

import json

import pytest

from pyterrier_hybrid.training import ParallelQA

RECORDS = [("1", "en", "Where?", "Here."), ("1", "de", "Wo?", "Hier."), ("2", "en", "Who?", "Me."),
           ("3", "de", "Wer?", "Ich."), ("3", "es", "¿Quién?", "Yo."), ("3", "en", "Who, 3?", "I.")]


def check(data: ParallelQA) -> None:
    assert data.n_items == 3
    assert data.items_per_language() == {"de": 2, "en": 3, "es": 1}
    assert data.mono_size == 6 and data.cross_size == 5
    assert "3 items" in data.summary() and "cross-lingual set 5 rows" in data.summary()


def test_builders_agree(tmp_path):
    import datasets
    dicts = [dict(zip(("item_id", "lang", "question", "answer"), r)) for r in RECORDS]
    (tmp_path / "qa.jsonl").write_text("\n".join(json.dumps(d) for d in dicts))
    (tmp_path / "qa.csv").write_text("item_id,lang,question,answer\n" + "\n".join(
        ",".join(f'"{v}"' for v in r) for r in RECORDS))
    built = [ParallelQA.from_records(RECORDS), ParallelQA.from_records(dicts),
             ParallelQA.from_lists(*zip(*RECORDS)), ParallelQA.from_jsonl(tmp_path / "qa.jsonl"),
             ParallelQA.from_csv(tmp_path / "qa.csv"), ParallelQA.from_hf(datasets.Dataset.from_list(dicts))]
    for data in built:
        check(data)
        assert data.table.equals(built[0].table)


def test_select_and_split():
    data = ParallelQA.from_records(RECORDS)
    assert data.select_languages(["en"]).cross_size == 0
    with pytest.raises(ValueError, match="'fr' not in the data"):
        data.select_languages(["en", "fr"])
    train, held = data.split_items(1, seed=0)
    assert train.n_items == 2 and held.n_items == 1
    assert not set(train.table["item_id"].to_pylist()) & set(held.table["item_id"].to_pylist())


def test_bad_input():
    with pytest.raises(ValueError, match="more than once"):
        ParallelQA.from_records(RECORDS + [RECORDS[0]])
    with pytest.raises(ValueError, match="lacks column"):
        ParallelQA.from_hf(__import__("datasets").Dataset.from_dict({"item_id": ["1"], "lang": ["en"]}))


def test_from_irds_real_data(lareqa_mirror, monkeypatch):
    monkeypatch.setenv("PYTERRIER_HYBRID_LAREQA", str(lareqa_mirror))
    data = ParallelQA.from_irds("xquad-r", ["en", "de"])
    assert data.items_per_language() == {"de": 1190, "en": 1190}
    assert data.cross_size == 2380
    plain = ParallelQA.from_irds("xquad-r", ["en"]).table.to_pylist()[:5]
    context = ParallelQA.from_irds("xquad-r", ["en"], with_context=True).table.to_pylist()[:5]
    for short, long in zip(plain, context):
        assert long["answer"].startswith(short["answer"] + "\n\n") and len(long["answer"]) > len(short["answer"]) + 2
    with pytest.raises(ValueError, match="unknown language"):
        ParallelQA.from_irds("mlqa-r", ["el"])


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_a_non_utf8_byte_names_its_file_and_line(tmp_path, suffix):
    path = tmp_path / f"qa.{suffix}"
    lines = ([b'{"item_id": "1", "lang": "en", "question": "q", "answer": "a"}',
              b'{"item_id": "1", "lang": "de", "question": "q\xff", "answer": "a"}'] if suffix == "jsonl" else
             [b"item_id,lang,question,answer", b"1,en,q,a", b"1,de,q\xff,a"])
    path.write_bytes(b"\n".join(lines) + b"\n")
    load = ParallelQA.from_jsonl if suffix == "jsonl" else ParallelQA.from_csv
    with pytest.raises(ValueError, match=rf"qa.{suffix}:{len(lines)}: not UTF-8"):  # before: passed loading
        load(path)


@pytest.mark.parametrize("bucket_texts", [1 << 23, 2])
def test_text_groups_join_items_sharing_a_text_in_any_bucketing(monkeypatch, bucket_texts):
    """Items sharing a question or answer (transitively, in any language) form one group, whether the hashes are
    sorted in one bucket or in many (``BUCKET_TEXTS`` small forces the bucketed path of large data)."""
    from pyterrier_hybrid.training import pairs
    monkeypatch.setattr(pairs, "BUCKET_TEXTS", bucket_texts)
    data = ParallelQA.from_records([
        ("a", "en", "Q a", "shared answer"), ("b", "en", "Q b", "shared answer"),  # a, b: one answer
        ("b", "de", "F b", "A b"), ("c", "de", "F b", "A c"),                     # b, c: one question in de
        ("d", "en", "Q d", "A d"), ("e", "es", "Q e", "A e"), ("e", "en", "Q e en", "A e en")])
    groups = pairs.text_groups(data)
    by_item = dict(zip(data.item_ids, groups.tolist()))
    assert by_item["a"] == by_item["b"] == by_item["c"]
    assert len({by_item["a"], by_item["d"], by_item["e"]}) == 3
    assert sorted(set(groups.tolist())) == [0, 1, 2]  # dense codes
