"""Property tests of the batch samplers' invariants (hypothesis)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pyterrier_hybrid.training import (STRATEGIES, HybridBatchSampler, PairKeys, ParallelQA, XXBatchSampler,
                                       XYBatchSampler)

LANGS = ("ar", "de", "en", "zh")


@st.composite
def collections(draw, min_items: int = 8):
    """A ParallelQA whose items exist in random, non-empty subsets of four languages."""
    n = draw(st.integers(min_items, 60))
    subsets = draw(st.lists(st.sets(st.sampled_from(LANGS), min_size=1), min_size=n, max_size=n))
    if all(len(s) == 1 for s in subsets):
        subsets[0] = set(LANGS)
    return ParallelQA.from_records([(f"i{i}", lang, f"q {i} {lang}", f"a {i} {lang}")
                                    for i, langs in enumerate(subsets) for lang in sorted(langs)])


def make(strategy: str, data: ParallelQA, batch_size: int, seed: int = 0, **kwargs):
    pairs = PairKeys(data)
    return STRATEGIES[strategy](pairs.dataset(), batch_size, False, seed=seed, pairs=pairs, **kwargs)


def build_or_skip(*args, **kwargs):
    """The sampler, or None when the drawn data is too small for it (test_errors covers that case)."""
    try:
        return make(*args, **kwargs)
    except ValueError:
        return None


common = settings(max_examples=25, deadline=None)


def any_strategy_case(test):
    """Run ``test(data, batch_size, strategy, seed)`` on drawn collections, batch sizes, strategies and seeds."""
    return common(given(collections(), st.integers(2, 6), st.sampled_from(list(STRATEGIES)),
                        st.integers(0, 2**31))(test))


def epoch(sampler, n: int = 0) -> list[list[int]]:
    sampler.set_epoch(n)
    return list(sampler)


@any_strategy_case
def test_no_item_twice_and_composition(data, batch_size, strategy, seed):
    sampler = build_or_skip(strategy, data, batch_size, seed)
    if sampler is None:
        return
    kinds = []
    for batch in epoch(sampler, 1):
        assert len(batch) == batch_size
        items = sampler.pairs.item_of(np.array(batch))
        assert len(set(items.tolist())) == batch_size, "an item twice in one batch"
        q, a = sampler.pairs.lang_pairs(np.array(batch))
        if all(q == a):
            kinds.append("mono-lang" if len(set(q.tolist())) == 1 else "xx")
        else:
            assert all(q != a), f"mixed X-X and X-Y pairs in one {strategy} batch"
            kinds.append("xy")
    allowed = {"xx": {"xx", "mono-lang"}, "xx-mono": {"mono-lang"}, "xy": {"xy"},
               "hybrid": {"xx", "mono-lang", "xy"}}[strategy]
    assert set(kinds) <= allowed


@any_strategy_case
def test_reproducible_and_different_across_epochs(data, batch_size, strategy, seed):
    first = build_or_skip(strategy, data, batch_size, seed)
    if first is None:
        return
    second = make(strategy, data, batch_size, seed)
    assert epoch(first, 3) == epoch(second, 3)
    first.set_epoch(3)
    assert [first.pairs.texts(b) for b in first] == [second.pairs.texts(b) for b in epoch(second, 3)]
    if len(first) * batch_size >= 12:  # enough rows that two epochs coinciding is negligible
        assert epoch(first, 0) != epoch(first, 1)


@common
@given(collections(), st.integers(2, 6), st.sampled_from([None, 0.0, 0.3, 1.0]), st.integers(0, 2**31))
def test_epoch_length_as_documented(data, batch_size, alpha, seed):
    for strategy in STRATEGIES:
        sampler = build_or_skip(strategy, data, batch_size, seed, **({"alpha": alpha} if strategy == "hybrid" else {}))
        if sampler is None:
            continue
        rows, cross = data.mono_size, data.cross_size
        per_lang = sum(n // batch_size for n in data.items_per_language().values())
        expected = {"xx": rows // batch_size, "xx-mono": per_lang, "xy": cross // batch_size,
                    "hybrid": rows // batch_size + cross // batch_size if alpha is None
                    else (rows + cross) // batch_size}[strategy]
        assert len(sampler) == expected == len(epoch(sampler, 2))


@common
@given(collections(min_items=20), st.integers(2, 5), st.integers(0, 2**31))
def test_proportional_hybrid_uses_every_row_once(data, batch_size, seed):
    sampler = build_or_skip("hybrid", data, batch_size, seed)
    if sampler is None:
        return
    keys = np.concatenate(epoch(sampler, 0) or [[]]).astype(int)
    assert len(set(keys.tolist())) == len(keys), "a row used twice in one epoch"
    assert sampler.stats.xx_share() == pytest.approx(sampler.resolved_alpha)
    assert len(keys) >= len(sampler) * batch_size


@settings(max_examples=10, deadline=None)
@given(st.sampled_from([0.3, 0.5, 0.7]), st.integers(0, 2**31))
def test_alpha_share_converges(alpha, seed):
    data = ParallelQA.from_records([(i, lang, "q", "a") for i in range(300) for lang in LANGS])
    sampler = make("hybrid", data, 8, seed, alpha=alpha)
    for n in range(6):
        epoch(sampler, n)
    batches = sum(sampler.stats.to_dict()["batch_types"].values())  # 1800 batches: binomial sd ~ 0.011
    assert batches == 6 * len(sampler)
    assert abs(sampler.stats.xx_share() - alpha) < 0.05


@common
@given(collections(min_items=30), st.integers(2, 4), st.sampled_from(list(STRATEGIES)), st.integers(0, 2**31))
def test_distributed_global_batches_have_distinct_items(data, batch_size, strategy, seed):
    ranks = 2
    sampler = build_or_skip(strategy, data, batch_size, seed, world_size=ranks)
    if sampler is None:
        return
    batches = epoch(sampler, 0)
    assert len(batches) % ranks == 0
    for step in range(0, len(batches), ranks):
        global_batch = np.concatenate(batches[step:step + ranks])
        assert len(set(sampler.pairs.item_of(global_batch).tolist())) == ranks * batch_size
    rank_batches = [batches[r::ranks] for r in range(ranks)]
    assert rank_batches[0] != rank_batches[1]


def test_answer_language_redrawn_each_epoch():
    data = ParallelQA.from_records([(i, lang, "q", "a") for i in range(50) for lang in LANGS])
    pairs = PairKeys(data, seed=1)
    keys = pairs.cross_keys()
    drawn = []
    for n in range(3):
        pairs.epoch = n
        q, a = pairs.lang_pairs(keys)
        assert (q != a).all() and (pairs.items[pairs.rows(keys)[1]] == pairs.item_of(keys)).all()
        drawn.append(a)
    assert not np.array_equal(drawn[0], drawn[1])
    assert set(np.unique(drawn[0]).tolist()) == set(range(len(LANGS)))


def test_errors_say_which_and_why():
    single = ParallelQA.from_records([(i, "en", "q", "a") for i in range(20)])
    with pytest.raises(ValueError, match="needs cross-lingual pairs"):
        make("xy", single, 4)
    with pytest.raises(ValueError, match="needs cross-lingual pairs"):
        make("hybrid", single, 4)
    assert len(make("hybrid", single, 4, alpha=1.0)) == 5
    with pytest.raises(ValueError, match="20 usable items"):
        make("xx", single, 32)
    with pytest.raises(ValueError, match="empty"):
        make("xx", ParallelQA.from_records([]), 4)
    with pytest.raises(ValueError, match="alpha must lie in"):
        make("hybrid", single, 4, alpha=1.5)


def test_sampler_plugs_into_trainer_hook():
    from sentence_transformers.base.sampler import DefaultBatchSampler
    assert all(issubclass(cls, DefaultBatchSampler) for cls in (XXBatchSampler, XYBatchSampler, HybridBatchSampler))


def test_strategy_names_are_the_samplers():
    from pyterrier_hybrid.training import STRATEGY_NAMES
    assert STRATEGY_NAMES == tuple(STRATEGIES)
