"""OpenVINO fp32 and NNCF static int8 under our encoder, against torch fp32, side by side in one run.

    .venv/bin/pip install openvino nncf        # by hand: not a project dependency (yet)
    .venv/bin/python benchmarks/bench_openvino.py MODEL_DIR [--texts 320] [--batch-size 32] [--rounds 5]
        [--calibration 300] [--languages en de zh] [--no-map]

The transformer of a sentence-transformers model is converted with ``openvino.convert_model`` (dynamic batch and
length; run at fp32 with ``INFERENCE_PRECISION_HINT``) and, for int8, quantised with ``nncf.quantize``
(``model_type=TRANSFORMER``, static, calibrated on ``--calibration`` MLQA-R sentences: the training family's own
texts, one unpadded text per calibration item). Each replaces the torch model inside a ``DenseEncoder``, so prompts,
batching by token count and pooling stay ours. Prints texts/s of raw ``SentenceTransformer.encode``, our torch fp32
path and both OpenVINO models (interleaved rounds, ratios of medians), their cosine to torch fp32, and unless
``--no-map`` the XQuAD-R macro mAP over every setting of ``--languages`` and its difference to torch fp32.
Data: ``$PYTERRIER_HYBRID_LAREQA`` or ../shared/data/lareqa.
"""
from __future__ import annotations

import argparse
import os
import statistics

import numpy as np
import torch
from bench_encoding import PROMPT, data_root, interleaved_rounds, load_texts, timing_arguments

from pyterrier_hybrid.retrieval.onnx_fast import LastHiddenState


class OpenVinoModel(torch.nn.Module):
    """Stands in for a Hugging Face encoder: runs a compiled OpenVINO model, returns ``last_hidden_state``."""

    def __init__(self, ov_model, config):
        super().__init__()
        import openvino as ov
        self.compiled = ov.Core().compile_model(ov_model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        self.config = config

    def forward(self, input_ids, attention_mask, **kwargs):
        from transformers.modeling_outputs import BaseModelOutput
        out = self.compiled({"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy()})[0]
        return BaseModelOutput(last_hidden_state=torch.from_numpy(np.array(out)))


def openvino_models(model_dir: str, calibration: list[str]) -> dict[str, object]:
    """The model's transformer converted to OpenVINO (fp32) and quantised by NNCF on ``calibration``."""
    import nncf
    import openvino as ov
    from sentence_transformers import SentenceTransformer
    st = SentenceTransformer(model_dir, device="cpu")
    ids = torch.ones((2, 8), dtype=torch.long)
    fp32 = ov.convert_model(LastHiddenState(st[0].model.eval()),
                            example_input={"input_ids": ids, "attention_mask": torch.ones_like(ids)})
    items = [{name: value.numpy() for name, value in st.tokenizer(
        [PROMPT + text], truncation=True, max_length=st.max_seq_length, return_tensors="pt",
        return_token_type_ids=False).items()} for text in calibration]
    int8 = nncf.quantize(fp32.clone(), nncf.Dataset(items), model_type=nncf.ModelType.TRANSFORMER,
                         subset_size=len(items))
    return {"openvino fp32": fp32, "openvino int8 (NNCF)": int8}


def encoders(args) -> dict[str, object]:
    """Our ``DenseEncoder`` on torch fp32 and on each OpenVINO model (memory-only caches)."""
    from sentence_transformers import SentenceTransformer

    from pyterrier_hybrid.retrieval import DenseEncoder
    languages = sorted(path.stem for path in (data_root() / "mlqa-r").glob("*.json"))
    out = {"torch fp32": DenseEncoder(args.model_dir, cache=False, progress=False, batch_size=args.batch_size)}
    for name, ov_model in openvino_models(args.model_dir, load_texts(args.calibration, languages, "mlqa-r")).items():
        st = SentenceTransformer(args.model_dir, device="cpu")
        st[0].model = OpenVinoModel(ov_model, st[0].model.config)
        out[name] = DenseEncoder(st, cache=False, progress=False, batch_size=args.batch_size)
    return out


def timing(args, models: dict[str, object]) -> None:
    from sentence_transformers import SentenceTransformer
    texts = load_texts(args.texts, args.languages)
    raw = SentenceTransformer(args.model_dir, device="cpu")
    runs = {"SentenceTransformer.encode": lambda rnd: raw.encode(texts, prompt=PROMPT, batch_size=args.batch_size,
                                                                 normalize_embeddings=True),
            **{name: (lambda rnd, enc=enc: (enc._caches.clear(), enc.encode(texts, PROMPT))[1])
               for name, enc in models.items()}}
    seconds, vecs = interleaved_rounds(runs, args.rounds, len(texts))
    from pyterrier_hybrid.core.cpu import cpu_label
    print(f"\n{len(texts)} sentences ({' '.join(args.languages)}), batch {args.batch_size}, median of {args.rounds} "
          f"interleaved rounds, torch threads {torch.get_num_threads()}; CPU: {cpu_label()}")
    raw_s, ours_s = statistics.median(seconds["SentenceTransformer.encode"]), statistics.median(seconds["torch fp32"])
    for name, values in seconds.items():
        s = statistics.median(values)
        cos = (vecs[name] * vecs["torch fp32"]).sum(1)
        print(f"  {name:28s} {len(texts) / s:7.1f} texts/s   vs raw {raw_s / s:5.2f}x   vs ours torch fp32 "
              f"{ours_s / s:5.2f}x   cosine to torch fp32 mean {cos.mean():.6f} min {cos.min():.6f}")


def mean_average_precision(args, models: dict[str, object]) -> None:
    from pyterrier_hybrid.evaluation import DenseSystem, run_matrix
    os.environ.setdefault("PYTERRIER_HYBRID_LAREQA", str(data_root()))
    systems = [DenseSystem(enc, name) for name, enc in models.items()]
    result = run_matrix("xquad-r", systems, args.languages, measures=["AP"], bias=False)
    table = result.macro()["AP"].unstack("kind").reindex(list(models))
    print(f"\nXQuAD-R macro mAP, languages {' '.join(args.languages)} (every mono, cross and multi setting)")
    for name in table.index:
        cells = [f"{k} {table.loc[name, k]:.4f} ({table.loc[name, k] - table.iloc[0][k]:+.4f})"
                 for k in ("mono", "cross", "multi")]
        print(f"  {name:22s} " + "  ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    timing_arguments(parser)
    parser.add_argument("--calibration", type=int, default=300, help="MLQA-R sentences to calibrate int8 on")
    parser.add_argument("--no-map", dest="map", action="store_false")
    args = parser.parse_args()
    models = encoders(args)
    timing(args, models)
    if args.map:
        mean_average_precision(args, models)


if __name__ == "__main__":
    main()
