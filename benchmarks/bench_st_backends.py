"""sentence-transformers' own ONNX and OpenVINO backends against torch fp32, in a separate environment.

    bash benchmarks/st_backends_env.sh     # once: a venv with transformers 4.57, optimum-onnx, optimum-intel
    ENV/bin/python benchmarks/bench_st_backends.py MODEL_DIR [--texts 320] [--batch-size 32] [--rounds 5]

``backend="onnx"`` needs ``optimum-onnx``, which requires transformers < 4.58, and ``backend="openvino"`` a newer
``optimum-intel`` than installs beside transformers 5; this project runs on transformers 5 (README, "Speed"), so
this script imports nothing of the project (only ``bench_encoding``'s text loading): it runs in its own environment
and measures, interleaved round by round on the same XQuAD-R sentences as ``bench_encoding.py``:

* torch fp32 (``SentenceTransformer.encode``, the reference);
* ``backend="onnx"``: the plain export, ``export_optimized_onnx_model`` at O2 / O3 (fused graph, fp32), and
  ``export_dynamic_quantized_onnx_model`` with the CPU's instruction-set config (``avx512_vnni``, ``avx512`` or
  ``avx2``);
* ``backend="openvino"`` (with ``optimum-intel[openvino]`` in the environment): at OpenVINO's default precision
  (bf16 on a CPU with AVX512-BF16 or AMX), at fp32, and ``export_static_quantized_openvino_model`` calibrated on
  300 MLQA-R sentences (the training family's own texts);

each with texts/s, the ratio of medians to torch fp32, and the cosine of its vectors to torch fp32's.
Data: ``$PYTERRIER_HYBRID_LAREQA`` or ../shared/data/lareqa.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import tempfile
from pathlib import Path

from bench_encoding import (  # its module imports nothing of the project at load
    PROMPT, data_root, interleaved_rounds, load_texts, timing_arguments)


def quantisation_config() -> str:
    """The ``export_dynamic_quantized_onnx_model`` config for this CPU's widest integer instructions."""
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return "avx512_vnni" if "avx512_vnni" in flags else "avx512" if "avx512f" in flags else "avx2"


def onnx_models(model_dir: str, work: Path) -> dict[str, object]:
    """The ONNX variants of ``model_dir``, exported into a copy under ``work``."""
    from sentence_transformers import (SentenceTransformer, export_dynamic_quantized_onnx_model,
                                       export_optimized_onnx_model)
    copy = work / "model"
    shutil.copytree(model_dir, copy)
    plain = SentenceTransformer(str(copy), backend="onnx", device="cpu")
    plain.save_pretrained(str(copy))  # writes onnx/model.onnx beside the torch weights
    config = quantisation_config()
    export_optimized_onnx_model(plain, "O2", str(copy))
    export_optimized_onnx_model(plain, "O3", str(copy))
    export_dynamic_quantized_onnx_model(plain, config, str(copy))
    files = {"onnx": "model.onnx", "onnx O2": "model_O2.onnx", "onnx O3": "model_O3.onnx",
             f"onnx int8 ({config})": f"model_qint8_{config}.onnx"}
    return {name: SentenceTransformer(str(copy), backend="onnx", device="cpu",
                                      model_kwargs={"file_name": f"onnx/{file}"}) for name, file in files.items()}


def calibration_folder(work: Path, n: int = 300) -> Path:
    """``n`` MLQA-R sentences (the training family's own texts, in every language, with the document prompt) as a
    local dataset folder with a ``sentence`` column: ``load_dataset(folder)`` reads it offline."""
    languages = sorted(path.stem for path in (data_root() / "mlqa-r").glob("*.json"))
    folder = work / "calibration"
    folder.mkdir()
    with open(folder / "train.jsonl", "w") as f:
        f.writelines(json.dumps({"sentence": PROMPT + text}) + "\n" for text in load_texts(n, languages, "mlqa-r"))
    return folder


def openvino_models(model_dir: str, work: Path) -> dict[str, object]:
    """OpenVINO at its default precision (bf16 where the CPU has it), at fp32 (``INFERENCE_PRECISION_HINT``), and
    its static int8 quantisation calibrated on MLQA-R (nothing without ``optimum-intel``)."""
    if importlib.util.find_spec("optimum.intel") is None:
        print("optimum-intel is not installed: no OpenVINO variants")
        return {}
    from sentence_transformers import SentenceTransformer, export_static_quantized_openvino_model
    copy = work / "model-openvino"
    shutil.copytree(model_dir, copy)
    exported = SentenceTransformer(str(copy), backend="openvino", device="cpu")
    exported.save_pretrained(str(copy))
    export_static_quantized_openvino_model(exported, None, str(copy), dataset_name=str(calibration_folder(work)),
                                           dataset_config_name="default", dataset_split="train",
                                           column_name="sentence")
    fp32 = {"ov_config": {"INFERENCE_PRECISION_HINT": "f32"}}
    variants = {"openvino (default precision)": {}, "openvino fp32": fp32,
                "openvino int8 static (MLQA-R)": {**fp32, "file_name": "openvino/openvino_model_qint8_quantized.xml"}}
    return {name: SentenceTransformer(str(copy), backend="openvino", device="cpu",
                                      model_kwargs={"file_name": "openvino/openvino_model.xml", **kwargs})
            for name, kwargs in variants.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    timing_arguments(parser)
    args = parser.parse_args()
    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer
    texts = load_texts(args.texts, args.languages)
    with tempfile.TemporaryDirectory(prefix="bench_st_backends_") as work:
        models = {"torch fp32": SentenceTransformer(args.model_dir, device="cpu"),
                  **onnx_models(args.model_dir, Path(work)), **openvino_models(args.model_dir, Path(work))}
        encode = {name: (lambda rnd, m=m: m.encode(texts, prompt=PROMPT, batch_size=args.batch_size,
                                                   normalize_embeddings=True)) for name, m in models.items()}
        seconds, vecs = interleaved_rounds(encode, args.rounds, len(texts))
    print(f"\nsentence-transformers {sentence_transformers.__version__}, transformers {transformers.__version__}, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads); {len(texts)} sentences "
          f"({' '.join(args.languages)}), batch {args.batch_size}, median of {args.rounds} interleaved rounds")
    reference = statistics.median(seconds["torch fp32"])
    for name, values in seconds.items():
        cos = (vecs[name] * vecs["torch fp32"]).sum(1)
        print(f"  {name:28s} {len(texts) / statistics.median(values):7.1f} texts/s   "
              f"{reference / statistics.median(values):5.2f}x torch fp32   cosine mean {cos.mean():.6f} "
              f"min {cos.min():.6f}")


if __name__ == "__main__":
    main()
