"""A corpus at MIRACL's scale: resumable encoding into an index in bounded memory, and a compressed index's recall.

    .venv/bin/python benchmarks/bench_corpus.py [--docs 2000000] [--languages 2] [--kill-at 0.4] [--queries 1000]
        [--chunk-size 4096] [--threads 2] [--workdir DIR]

With the tiny test model (its vocabulary built from the synthetic words; 32 dimensions), on a synthetic corpus of
``--docs`` passages (``--languages`` languages, interleaved, 20-60 Zipf-drawn words each):

1. **Kill and resume.** ``pyterrier-hybrid index``'s code path (``DenseIndex.indexer().index``) runs in a child
   process, which is killed (SIGKILL) once ``--kill-at`` of the corpus's parts exist; a second child runs the same
   command, continues from the parts, and builds the index. Prints the parts reused, the texts the second run
   encoded, both runs' times and each one's peak anonymous resident memory (``RssAnon``, sampled every 20 ms:
   not the memory-mapped vectors, which the kernel can drop). The built index is checked: every docno in corpus
   order, and 2,000 sampled documents' vectors equal to encoding them directly.
2. **Compressed index.** On the first language's documents (``--docs / --languages``, 1M by default), the index's
   IVF-PQ retriever (``method="ivfpq"``, defaults, and a wider search) against exact search, for ``--queries``
   queries (8 words of a random passage of that language): recall@10, build and query time, peak ``RssAnon``.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from bench_scale import AnonPeak, gb  # noqa: E402

LANGS = ("en", "de", "fr", "sw", "th", "zh", "ar")
WORDS_PER_LANG = 5000
GEN_BLOCK = 10_000


def vocabulary(lang: str) -> np.ndarray:
    """``WORDS_PER_LANG`` pseudo-words of a language (syllables drawn from a per-language seed)."""
    rng = np.random.default_rng(LANGS.index(lang) + 1)
    consonants, vowels = np.array(list("bdfgklmnprstvz")), np.array(list("aeiou"))
    words = set()
    while len(words) < WORDS_PER_LANG:
        n = rng.integers(2, 4)
        words.add("".join(c + v for c, v in zip(rng.choice(consonants, n), rng.choice(vowels, n))))
    return np.array(sorted(words), dtype=object)


def corpus(n_docs: int, n_langs: int):
    """The synthetic corpus in order: ``{"docno": "<lang>:<i>", "text": ...}``, document i in language i mod n."""
    langs = LANGS[:n_langs]
    vocabs = {lang: vocabulary(lang) for lang in langs}
    p = 1.0 / np.arange(1, WORDS_PER_LANG + 1) ** 1.1
    p /= p.sum()
    for first in range(0, n_docs, GEN_BLOCK):
        rng = np.random.default_rng(first)
        n = min(GEN_BLOCK, n_docs - first)
        lengths = rng.integers(20, 61, n)
        words = rng.choice(WORDS_PER_LANG, size=(n, 60), p=p)
        for j in range(n):
            i = first + j
            lang = langs[i % n_langs]
            yield {"docno": f"{lang}:{i}", "text": " ".join(vocabs[lang][words[j, :lengths[j]]])}


def build_model(folder: Path, n_langs: int) -> Path:
    from tiny_model import build_tiny_model
    texts = [" ".join(vocabulary(lang)) for lang in LANGS[:n_langs]]
    return build_tiny_model(folder, texts, vocab_size=WORDS_PER_LANG * n_langs + 200)


def index_child(model: str, out: str, args: argparse.Namespace) -> None:
    """Index the corpus (resuming from parts if any); prints one JSON line."""
    import torch

    from pyterrier_hybrid.retrieval import DenseEncoder, DenseIndex
    torch.set_num_threads(args.threads)
    memory = AnonPeak()
    memory.start()
    encoder = DenseEncoder(model, cache=False, progress=True, batch_size=256)
    start = time.perf_counter()
    index = DenseIndex(out, encoder).indexer(chunk_size=args.chunk_size).index(corpus(args.docs, args.languages),
                                                                               total=args.docs)
    print(json.dumps({"seconds": time.perf_counter() - start, "encoded": encoder.stats.encoded,
                      "docs": len(index), "rss_anon_peak": memory.peak}))


def ann_child(model: str, out: str, args: argparse.Namespace) -> None:
    """Recall@10 of IVF-PQ against exact search on the first language; prints one JSON line."""
    import torch

    from pyterrier_hybrid.retrieval import DenseEncoder, DenseIndex
    torch.set_num_threads(args.threads)
    memory = AnonPeak()
    memory.start()
    encoder = DenseEncoder(model, cache=False, progress=False)
    lang = LANGS[0]
    rng = np.random.default_rng(7)
    picked = set(int(i) for i in rng.choice(args.docs // args.languages, args.queries, replace=False) * args.languages)
    texts = [d["text"] for i, d in enumerate(corpus(max(picked) + 1, args.languages)) if i in picked]
    queries = [" ".join(rng.choice(t.split(), 8, replace=False)) for t in texts]
    qvecs = encoder.encode_queries(queries)
    index = DenseIndex(out)
    result = {"pool_docs": index.languages()[lang], "queries": len(queries)}
    found = {}
    for name, method, params in [("exact", "exact", {}), ("ivfpq", "ivfpq", {}),
                                 ("ivfpq-wide", "ivfpq", {"n_probe": 64, "refine": 16})]:
        retriever = index.retriever(lang, num_results=10, method=method, **params)
        memory.reset()
        start = time.perf_counter()
        retriever.search(qvecs[:1])  # builds (or loads) the language's faiss index
        built = time.perf_counter() - start
        start = time.perf_counter()
        found[name] = np.concatenate([retriever.search(qvecs[s:s + 256])[1] for s in range(0, len(qvecs), 256)])
        result[name] = {"build_s": built, "query_s": time.perf_counter() - start, "rss_anon_peak": memory.window}
        if name != "exact":
            result[name]["recall@10"] = float(np.mean([len(set(a) & set(b)) / 10
                                                       for a, b in zip(found[name], found["exact"])]))
    print(json.dumps(result))


CHILD_ARGS = ("docs", "languages", "queries", "chunk_size", "threads")  # passed on to the child processes


def run_child(mode: str, model: Path, out: Path, args: argparse.Namespace, kill_parts: int | None = None,
              parts_glob: tuple[Path, str] | None = None) -> tuple[dict | None, float]:
    cmd = [sys.executable, __file__, "--child", mode, "--model", str(model), "--out", str(out),
           *(f"--{k.replace('_', '-')}={v}" for k, v in vars(args).items() if k in CHILD_ARGS)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    if kill_parts is not None:
        folder, pattern = parts_glob
        while proc.poll() is None and len(list(folder.glob(pattern))) < kill_parts:
            time.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return None, time.perf_counter() - start
    stdout, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"{mode} child failed ({proc.returncode})")
    return json.loads(stdout.strip().splitlines()[-1]), time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=2_000_000)
    ap.add_argument("--languages", type=int, default=2)
    ap.add_argument("--kill-at", type=float, default=0.4, help="share of the parts written before the kill")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--chunk-size", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--child", choices=("index", "ann"))
    ap.add_argument("--model")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        return (index_child if args.child == "index" else ann_child)(args.model, args.out, args)

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        tmp = Path(tmp)
        model = build_model(tmp / "model", args.languages)
        out = tmp / "index"
        from pyterrier_hybrid.retrieval import DenseEncoder
        from pyterrier_hybrid.retrieval.parts import parts_folder
        encoder = DenseEncoder(str(model), cache=False, progress=False)
        folder = parts_folder(out, encoder, args.chunk_size)
        chunks = -(-args.docs // args.chunk_size)
        kill_parts = max(1, int(args.kill_at * chunks))
        _, killed_s = run_child("index", model, out, args, kill_parts, (folder, "part-*.npz"))
        reused = len(list(folder.glob("part-*.npz")))
        print(f"killed after {killed_s:.0f} s with {reused} of {chunks} parts written", flush=True)
        resumed, resumed_s = run_child("index", model, out, args)
        print(f"resumed run: {resumed['seconds']:.0f} s, encoded {resumed['encoded']} of {args.docs} texts "
              f"(the rest came from {reused} parts); {args.docs / (resumed['seconds'] + killed_s):.0f} docs/s overall; "
              f"peak RssAnon {gb(resumed['rss_anon_peak'])}", flush=True)
        check_index(out, encoder, args)
        ann, _ = run_child("ann", model, out, args)
        print(f"IVF-PQ on {ann['pool_docs']} '{LANGS[0]}' documents, {ann['queries']} queries "
              f"(exact: query {ann['exact']['query_s']:.1f} s, peak RssAnon {gb(ann['exact']['rss_anon_peak'])}):")
        for name in ("ivfpq", "ivfpq-wide"):
            r = ann[name]
            print(f"  {name:10s} recall@10 {r['recall@10']:.3f}  build {r['build_s']:.0f} s  query {r['query_s']:.1f} s"
                  f"  peak RssAnon {gb(r['rss_anon_peak'])}")
        print(json.dumps({"docs": args.docs, "parts": chunks, "killed_s": killed_s, "reused_parts": reused,
                          "resumed": resumed, "ann": ann}))


def check_index(out: Path, encoder, args: argparse.Namespace) -> None:
    """Every docno in corpus order, and sampled vectors equal to encoding the texts directly."""
    from pyterrier_hybrid.retrieval import DenseIndex
    index = DenseIndex(out)
    docnos, dvecs, _ = index.payload()
    assert len(index) == args.docs, (len(index), args.docs)
    sample = set(np.random.default_rng(3).choice(args.docs, 2000, replace=False).tolist())
    rows, texts, names = [], [], []
    for i, d in enumerate(corpus(args.docs, args.languages)):
        if i in sample:
            rows.append(i)
            texts.append(d["text"])
            names.append(d["docno"])
    assert list(docnos.fwd[np.array(rows)]) == names, "docnos out of corpus order"
    np.testing.assert_allclose(dvecs[np.array(rows)], encoder.encode_docs(texts), atol=1e-5)
    print(f"index checked: {len(index)} documents in corpus order; 2000 sampled vectors equal direct encoding",
          flush=True)


if __name__ == "__main__":
    main()
