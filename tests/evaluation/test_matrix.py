"""The language-pair matrix on a small release: shape, n/a cells, encoding once, equality with ir_measures."""
from __future__ import annotations

import ir_measures
import numpy as np
import pandas as pd
import pytest

from datasets_ext import LANGUAGES
from pyterrier_hybrid.evaluation import BM25System, Collection, DenseSystem, run_matrix
from pyterrier_hybrid.retrieval import DenseEncoder

FAMILY = "mlqa-r"
N_LANG = len(LANGUAGES[FAMILY])


@pytest.fixture
def dense(tiny_model_dir, tmp_path):
    return DenseSystem(DenseEncoder(str(tiny_model_dir), cache=tmp_path / "cache", progress=False), name="tiny")


def _full_run(scores, qids, docnos) -> pd.DataFrame:
    q, d = np.meshgrid(np.arange(len(qids)), np.arange(len(docnos)), indexing="ij")
    return pd.DataFrame({"query_id": np.asarray(qids)[q.ravel()], "doc_id": np.asarray(docnos)[d.ravel()],
                         "score": scores.ravel().astype(float)})


def test_whole_matrix(fixture_release, dense, tmp_path):
    result = run_matrix(FAMILY, [BM25System(), dense], run_dir=tmp_path / "runs")
    frame = result.results
    per_system = N_LANG * 6 + N_LANG * (N_LANG - 1) * 6 + N_LANG * 8  # multi adds the two bias measures
    assert len(frame) == 2 * per_system
    assert frame.value.notna().all()  # BM25 too, in every setting (lexical overlap only across languages)
    assert set(frame[frame.measure == "RankDistance"].kind) == {"multi"}
    macro = result.macro()
    assert macro.loc[("tiny", "multi"), "RankDistance"] >= 0
    assert 0 <= macro.loc[("BM25", "cross"), "AP"] < macro.loc[("BM25", "mono"), "AP"]
    assert (tmp_path / "runs" / "tiny" / f"{FAMILY}_de-en.run").exists()

    # every unique (prompt, text) encoded exactly once for the whole matrix ...
    collection = Collection.load(FAMILY)
    unique = {t for d in collection.data.values() for t in d.query_texts + d.doc_texts}  # the tiny model has no prompts
    assert result.encoded == {"tiny": len(unique)}
    # ... and not at all by a second evaluation of the same model
    again = DenseSystem(DenseEncoder(dense.encoder.model_name, cache=tmp_path / "cache", progress=False), name="tiny")
    second = run_matrix(FAMILY, [again], languages=["de", "en"])
    assert second.encoded == {"tiny": 0}


@pytest.mark.parametrize("system", ["dense", "bm25"])
@pytest.mark.parametrize("query_lang,pool", [("de", ("en",)), ("en", ("en",)), ("de", tuple(LANGUAGES[FAMILY]))])
def test_equal_to_ir_measures_on_the_full_ranking(fixture_release, dense, query_lang, pool, system):
    dense = dense if system == "dense" else BM25System()
    collection = Collection.load(FAMILY)
    kind = "multi" if len(pool) > 1 else "mono" if pool == (query_lang,) else "cross"
    setting = next(s for s in collection.settings([kind]) if s.query_lang == query_lang and s.pool_langs == pool)
    qrels = collection.qrels(setting)
    result = run_matrix(FAMILY, [dense], kinds=[kind], collection=collection).results
    ours = result[result.query_lang == query_lang].set_index("pool_lang").loc[setting.pool_name]
    ours = dict(zip(ours.measure, ours.value))
    scores = dense.scores(collection, setting)
    data = collection.data[query_lang]
    keep = pd.Index(data.query_ids).isin(qrels.query_id)
    run = _full_run(scores[keep], np.asarray(data.query_ids)[keep], collection.pool_doc_ids(setting))
    measures = [ir_measures.parse_measure(m) for m in ("AP", "nDCG@10", "R@1", "R@10", "R@100", "RR@10")]
    if kind == "multi":
        from pyterrier_hybrid.evaluation.bias import RankDistance, SameLangPref
        measures += [RankDistance, SameLangPref]
    expected = ir_measures.calc_aggregate(measures, qrels, run)
    for measure, value in expected.items():
        assert ours[str(measure)] == pytest.approx(value, abs=1e-9), measure


def test_bad_input_fails_before_encoding(fixture_release, dense):
    with pytest.raises(ValueError, match="valid languages: ar de en es hi vi zh"):
        run_matrix(FAMILY, [dense], languages=["de", "el"])
    with pytest.raises(ValueError, match="unknown measure 'MAP@x'"):
        run_matrix(FAMILY, [dense], measures=["MAP@x"])
    with pytest.raises(ValueError, match="valid kinds"):
        run_matrix(FAMILY, [dense], kinds=["bilingual"])
    with pytest.raises(ValueError, match="no systems"):
        run_matrix(FAMILY, [])
    assert dense.encoder.stats.encoded == 0


def test_evaluate_command_writes_reports(fixture_release, tiny_model_dir, tmp_path, capsys, monkeypatch):
    from pyterrier_hybrid.cli import main
    monkeypatch.setenv("PYTERRIER_HYBRID_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    main(["evaluate", "--dataset", FAMILY, "--model", str(tiny_model_dir), "--name", "tiny",
          "--languages", "de", "en", "zh", "--out", str(out)])
    assert "tiny" in capsys.readouterr().out
    table = (out / "results.md").read_text()
    assert "| BM25 | cross |" in table and "n/a" in table
    frame = pd.read_csv(out / "results.csv")
    assert set(frame.system) == {"BM25", "tiny"} and set(frame.query_lang) == {"de", "en", "zh"}
    assert (out / "heatmaps" / "tiny_nDCGat10.png").stat().st_size > 0
    tests = pd.read_csv(out / "significance.csv")  # tiny minus BM25, the default baseline, Holm-corrected
    assert set(tests["system"]) == {"tiny"} and set(tests["baseline"]) == {"BM25"}
    assert set(tests["kind"]) == {"mono", "cross", "multi"} and tests["p_holm"].between(0, 1).all()
    assert "System minus BM25, paired t-test over queries, holm-corrected" in table + (out / "results.md").read_text()


def test_evaluate_command_checks_the_baseline_before_any_work(fixture_release, tiny_model_dir, tmp_path):
    from pyterrier_hybrid.cli import main
    with pytest.raises(SystemExit, match="--baseline 'nope' is not a system of this evaluation; systems: BM25, tiny"):
        main(["evaluate", "--dataset", FAMILY, "--model", str(tiny_model_dir), "--name", "tiny",
              "--baseline", "nope", "--out", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()


def test_evaluate_command_missing_model(fixture_release, tmp_path):
    from pyterrier_hybrid.cli import main
    with pytest.raises(SystemExit, match="does not exist"):
        main(["evaluate", "--dataset", FAMILY, "--model", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])


def test_sampled_queries_keep_items_parallel_and_every_candidate(fixture_release):
    collection = Collection.load(FAMILY)
    sample = collection.sample_queries(3, seed=1)
    items = {lang: {qid.partition(":")[2] for qid in part.query_ids} for lang, part in sample.data.items()}
    all_items = {qid.partition(":")[2] for part in collection.data.values() for qid in part.query_ids}
    chosen = set().union(*items.values())
    assert len(chosen) == 3 and chosen <= all_items
    for lang, part in sample.data.items():
        full = collection.data[lang]
        assert part.doc_ids == full.doc_ids  # the pool is untouched: every candidate is still ranked
        assert items[lang] == {qid.partition(":")[2] for qid in full.query_ids} & chosen  # same items everywhere
        assert set(part.qrels["query_id"]) == set(part.query_ids)
        assert part.query_texts == [t for q, t in zip(full.query_ids, full.query_texts) if q in set(part.query_ids)]
    setting = next(s for s in sample.settings(["cross"]) if s.query_lang == "de" and s.pool_langs == ("en",))
    assert set(sample.qrels(setting)["query_id"]) <= set(sample.data["de"].query_ids)
    assert collection.sample_queries(len(all_items)) is collection
    assert sample.sample_queries(3, seed=1).data["de"].query_ids == sample.data["de"].query_ids
    with pytest.raises(ValueError, match="at least one item"):
        collection.sample_queries(0)
