"""Property tests of the hard-negative rules (training.negatives): language, exclusion, determinism, fallback
order and counts, a data file's own negatives, and the ``model`` kind's cache."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pyterrier_hybrid.training import STRATEGIES, PairKeys, ParallelQA
from pyterrier_hybrid.training.config import HARD_NEGATIVES
from pyterrier_hybrid.training.negatives import CHAINS, SOURCES, HardNegatives

LANGS = ("de", "en", "zh")


@st.composite
def paragraphs(draw):
    """Items whose answers are sentences of paragraphs (``answer_id`` ``<lang>:<paragraph>:<sentence>``), in
    random subsets of three languages; some paragraphs have one sentence, some answers are shared by two items, and
    some items bring a negative of their own."""
    n = draw(st.integers(12, 40))
    sizes = draw(st.lists(st.integers(1, 5), min_size=n, max_size=n))
    para = np.repeat(np.arange(n), sizes)[:n]  # item i answers a sentence of paragraph para[i]
    share = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    given_neg = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    subsets = draw(st.lists(st.sets(st.sampled_from(LANGS), min_size=1), min_size=n, max_size=n))
    subsets[0] = set(LANGS)
    rows = []
    for i, langs in enumerate(subsets):
        sentence = i - 1 if share[i] and i and para[i - 1] == para[i] else i  # a shared answer sentence
        for lang in sorted(langs):
            rows.append({"item_id": f"i{i}", "lang": lang, "question": f"q{i} {lang}",
                         "answer": f"p{para[i]} s{sentence} {lang}", "answer_id": f"{lang}:p{para[i]}:s{sentence}",
                         "negative": f"own negative {i} {lang}" if given_neg[i] else None})
    import pyarrow as pa
    return ParallelQA(pa.Table.from_pylist(rows))


def with_negatives(data: ParallelQA, kind: str, per_query: int, seed: int = 0, **kwargs) -> PairKeys:
    pairs = PairKeys(data, seed)
    pairs.negatives = HardNegatives(pairs, kind, per_query, **kwargs)
    return pairs


def global_batches(pairs: PairKeys, strategy: str, batch_size: int, seed: int):
    sampler = STRATEGIES[strategy](pairs.dataset(), batch_size, False, seed=seed, pairs=pairs)
    sampler.set_epoch(0)
    return [np.asarray(b) for b in sampler]


def check_batch(pairs: PairKeys, batch: np.ndarray, negatives: np.ndarray, counts: np.ndarray) -> None:
    """Every rule of a hard negative, for one global batch."""
    hn, data = pairs.negatives, pairs.data
    q_rows, a_rows = pairs.rows(batch)
    texts = pairs.pair_texts(batch)
    seen = texts["anchor"] + texts["positive"]
    table = data.table.to_pylist()
    for i, a_row in enumerate(a_rows.tolist()):
        relevant = {r["answer"] for r in table if r["item_id"] == table[a_row]["item_id"]}
        assert counts[i].sum() == hn.per_query
        for cand in negatives[i].tolist():
            text = hn.texts[cand]
            assert hn.candidates.lang_codes[cand] == pairs.langs[a_row], "a negative is in the positive's language"
            assert text not in relevant, "a relevant text (in any language) is never a negative"
            seen.append(text)
        source = SOURCES[int(np.argmax(counts[i] > 0))]  # the first source used
        first = hn.texts[negatives[i, 0]]
        own = table[a_row].get("negative")
        if source == "given":
            assert first == own
        elif source == "paragraph":
            assert hn.candidates.paragraphs[negatives[i, 0]] == hn.candidates.paragraphs[hn.answer_rows[a_row]]
    assert len(seen) == len(set(seen)), "no text twice in a global batch, negatives included"


@settings(max_examples=25, deadline=None)
@given(paragraphs(), st.sampled_from(["xx", "xx-mixed", "xy", "hybrid"]), st.integers(2, 4), st.integers(1, 2),
       st.integers(0, 2**31))
def test_paragraph_negatives_keep_every_rule(data, strategy, batch_size, per_query, seed):
    try:
        pairs = with_negatives(data, "paragraph", per_query, seed)
        batches = global_batches(pairs, strategy, batch_size, seed)
    except ValueError:
        return  # too small a drawn collection for the strategy (the samplers' tests cover that error)
    for batch in batches:
        try:
            negatives, counts = pairs.negatives.choose(batch, 0, seed)
        except ValueError as e:
            assert "usable hard negatives" in str(e)
            continue
        check_batch(pairs, batch, negatives, counts)
        again, _ = pairs.negatives.choose(batch, 0, seed)
        assert (again == negatives).all(), "drawn from (seed, epoch, key): the same again"


@settings(max_examples=10, deadline=None)
@given(paragraphs(), st.integers(0, 2**31))
def test_fallback_order_is_given_then_paragraph_then_random(data, seed):
    """A pair falls back to a later source only when every earlier one has no usable candidate."""
    pairs = with_negatives(data, "paragraph", 1, seed)
    hn = pairs.negatives
    for key in range(pairs.n_mono):
        batch = np.array([key])
        try:
            negatives, counts = hn.choose(batch, 0, seed)
        except ValueError as e:  # a language with no other candidate at all (the error's own test covers it)
            assert "usable hard negatives" in str(e)
            continue
        source = SOURCES[int(np.argmax(counts[0] > 0))]
        _, a_rows = pairs.rows(batch)
        a_row = int(a_rows[0])
        own = data.table["negative"][a_row].as_py()
        taken = set(pairs.pair_texts(batch)["anchor"]) | set(pairs.pair_texts(batch)["positive"])
        relevant = hn.relevant[pairs.items[a_row]]
        usable = lambda text: text not in taken and text not in relevant  # noqa: E731
        if own is not None and usable(own):
            assert source == "given"
        else:
            offsets, values = hn.lists["paragraph"]
            mates = [hn.texts[c] for c in values[offsets[a_row]:offsets[a_row + 1]]]
            assert source != "given"
            assert (source == "paragraph") == any(map(usable, mates))


def test_batch_stats_count_every_source(tmp_path):
    """The sampler hands each global batch's source counts to its BatchStats."""
    from pyterrier_hybrid.training.samplers import BatchStats
    data = ParallelQA.from_records([(i, lang, f"q{i}{lang}", f"a{i}{lang}") for i in range(12) for lang in LANGS])
    pairs = with_negatives(data, "paragraph", 2)
    stats = BatchStats(data.languages)
    sampler = STRATEGIES["hybrid"](pairs.dataset(), 3, False, seed=0, pairs=pairs, stats=stats)
    sampler.set_epoch(0)
    n = sum(1 for _ in sampler)
    sources = stats.to_dict()["negative_sources"]
    assert sum(sources.values()) == n * 3 * 2
    assert set(sources) <= {"bm25", "random"}, "no paragraphs known: BM25 first, then random"


def test_the_trainer_reads_the_registered_negatives():
    """The dataset's rows carry negative_1..N: the texts chosen for the batch the sampler yielded."""
    data = ParallelQA.from_records([(i, lang, f"q{i}{lang}", f"a{i}{lang}") for i in range(10) for lang in LANGS])
    pairs = with_negatives(data, "bm25", 2)
    assert pairs.negative_columns() == ["negative_1", "negative_2"]
    sampler = STRATEGIES["xy"](pairs.dataset(), 4, False, seed=0, pairs=pairs)
    sampler.set_epoch(0)
    dataset = pairs.dataset()
    for batch in sampler:
        rows = dataset[batch]
        expected, _ = pairs.negatives.choose(np.asarray(batch), 0, 0)
        assert rows["negative_1"] == [pairs.negatives.texts[c] for c in expected[:, 0]]
        assert set(rows) == {"anchor", "positive", "negative_1", "negative_2"}


def test_a_read_outside_the_samplers_takes_each_pair_alone():
    """The trainer reads rows without a batch (the model card's examples): every row of a small one-language set
    at once must not be one batch, which would need more distinct negatives than the language holds."""
    data = ParallelQA.from_records([(i, "en", f"q{i}", f"a{i}") for i in range(6)])
    pairs = with_negatives(data, "paragraph", 1)
    rows = pairs.dataset()[list(range(6))]
    for key, negative in enumerate(rows["negative_1"]):
        assert negative != f"a{key}" and negative in {f"a{i}" for i in range(6)}
        assert [negative] == [pairs.negatives.texts[c] for c in pairs.negatives.choose(np.array([key]), 0, 0)[0][0]]


def test_held_out_texts_are_never_negatives():
    data = ParallelQA.from_records([(i, lang, f"q{i}{lang}", f"a{i}{lang}") for i in range(8) for lang in LANGS])
    never = frozenset(f"a{i}{lang}" for i in range(2, 8) for lang in LANGS if i != 5)
    pairs = with_negatives(data, "bm25", 1, excluded=never)
    for key in range(len(data)):
        negatives, _ = pairs.negatives.choose(np.array([key]), 0, 0)
        assert pairs.negatives.texts[negatives[0, 0]] not in never


def test_too_few_candidates_is_a_clear_error():
    data = ParallelQA.from_records([(i, lang, f"q{i}{lang}", f"a{i}{lang}") for i in range(3) for lang in ("de", "en")])
    pairs = with_negatives(data, "paragraph", 3)  # two other answers per language: not three
    with pytest.raises(ValueError, match=r"no 3 usable hard negatives in de for item '0'"):
        pairs.negatives.choose(np.arange(2), 0, 0)
    with pytest.raises(ValueError, match=r"in de for item '0': .* neither relevant nor held out$"):
        pairs.negatives.fixed(np.array([0]), 0)  # st-plain's fixed negatives have no batch


def test_bad_kind_or_count_and_the_kinds_of_the_config():
    data = ParallelQA.from_records([(i, "en", f"q{i}", f"a{i}") for i in range(4)])
    with pytest.raises(ValueError, match="valid: paragraph, bm25, model"):
        HardNegatives(PairKeys(data), "dense")
    with pytest.raises(ValueError, match=">= 1"):
        HardNegatives(PairKeys(data), "bm25", 0)
    with pytest.raises(ValueError, match="mined with the base model"):
        HardNegatives(PairKeys(data), "model")
    assert HARD_NEGATIVES == ("none", *CHAINS)


def test_a_data_files_negatives(tmp_path):
    """JSONL's ``negative`` is the first source; a CSV's empty cell is none."""
    rows = [{"item_id": str(i), "lang": lang, "question": f"q{i}{lang}", "answer": f"a{i}{lang}",
             **({"negative": f"mine {i}{lang}"} if i % 2 else {})} for i in range(8) for lang in ("de", "en")]
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    data = ParallelQA.from_jsonl(path)
    pairs = with_negatives(data, "bm25", 1)
    for key in range(len(data)):
        batch = np.array([key])
        negatives, counts = pairs.negatives.choose(batch, 0, 0)
        _, a_rows = pairs.rows(batch)
        own = data.table["negative"][int(a_rows[0])].as_py()
        if own is not None:
            assert counts[0, SOURCES.index("given")] == 1 and pairs.negatives.texts[negatives[0, 0]] == own
    csv = tmp_path / "data.csv"
    csv.write_text("item_id,lang,question,answer,negative\n1,en,q1,a1,\n2,en,q2,a2,n2\n")
    assert ParallelQA.from_csv(csv).table["negative"].to_pylist() == [None, "n2"]


def test_model_negatives_are_mined_once_and_cached(tiny_model_dir, tmp_path):
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    data = ParallelQA.from_records([(i, lang, f"question {i} {lang}", f"answer {i} {lang}")
                                    for i in range(12) for lang in ("de", "en")])
    first = with_negatives(data, "model", 1, model=model, cache_dir=tmp_path)
    cached = list((tmp_path / "hard-negatives").glob("*.npz"))
    assert len(cached) == 1
    offsets, values = first.negatives.lists["model"]
    assert (np.diff(offsets) > 0).all(), "every question has mined candidates"
    codes = first.negatives.candidates.lang_codes
    rows = np.repeat(np.arange(len(data)), np.diff(offsets))
    assert (codes[values] == data.lang_codes[rows]).all(), "mined in the question's own language"
    assert (values != first.negatives.answer_rows[rows]).all(), "the answer itself is no negative"
    again = with_negatives(data, "model", 1, model=model, cache_dir=tmp_path)
    assert (again.negatives.lists["model"][1] == values).all()
    assert list((tmp_path / "hard-negatives").glob("*")) == cached, "read from the cache, nothing written"


@pytest.mark.parametrize("family", ["xquad-r", "mlqa-r"])
def test_paragraph_negatives_of_real_data(lareqa_mirror, monkeypatch, family):
    """On the real families: other sentences of the paragraph, in the positive's language, never relevant."""
    monkeypatch.setenv("PYTERRIER_HYBRID_LAREQA", str(lareqa_mirror))
    data = ParallelQA.from_irds(family, ["de", "en"]).sample_items(300, 0)
    pairs = with_negatives(data, "paragraph", 1)
    batches = global_batches(pairs, "hybrid", 16, 0)[:20]
    totals = np.zeros(len(SOURCES), dtype=np.int64)
    for batch in batches:
        negatives, counts = pairs.negatives.choose(batch, 0, 0)
        check_batch(pairs, batch, negatives, counts)
        totals += counts.sum(0)
    assert totals[SOURCES.index("paragraph")] > 0.8 * totals.sum(), dict(zip(SOURCES, totals.tolist()))
