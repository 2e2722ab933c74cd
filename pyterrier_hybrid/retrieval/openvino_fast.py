"""OpenVINO backend: the model's transformer runs as an OpenVINO model, fp32 (exact) or NNCF static int8.

``"openvino"`` converts the Hugging Face encoder with ``openvino.convert_model`` (dynamic batch and length) and
runs it at fp32 inference precision (OpenVINO's CPU default would be bf16 where the CPU has it), so its vectors
are torch's. ``"openvino-int8"`` quantises that model statically with ``nncf.quantize`` (``model_type=
TRANSFORMER``): the activations' ranges come from calibration texts, by default the training family's own
(:func:`default_calibration`: a family's questions and sentences with their prompts, one unpadded text per item;
MLQA-R unless the caller names another, as a study does for the family its models are trained on).
Each model is saved atomically as a folder (``model.xml``, ``model.bin``) under ``export_dir``, named by the model
fingerprint and, for int8, the calibration texts' hash; a :class:`~.graph_model.GraphModel` running it replaces
the torch model. Needs the ``openvino`` and (for int8) ``nncf`` packages: the ``fast`` extra.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pyterrier_hybrid.core.atomic import build_directory
from pyterrier_hybrid.retrieval.graph_model import GraphModel, LastHiddenState, example_inputs

#: Calibration texts of :func:`default_calibration` (NNCF's own default subset size).
CALIBRATION_SIZE = 300
CALIBRATION_FAMILY = "mlqa-r"  # the paper's training family
_MODEL_FILE = "model.xml"


class OpenVinoModel(GraphModel):
    """A Hugging Face encoder's stand-in that runs a compiled OpenVINO model at fp32 inference precision."""

    def __init__(self, xml_file: Path, config):
        super().__init__(config)
        import openvino as ov
        import torch
        self.compiled = ov.Core().compile_model(str(xml_file), "CPU", {
            "INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": torch.get_num_threads()})

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return self.compiled(inputs)[0]


def default_calibration(query_prompt: str, doc_prompt: str, size: int = CALIBRATION_SIZE,
                        family: str = CALIBRATION_FAMILY) -> list[str]:
    """``size`` texts of ``family`` as the model sees them: per language in turn, evenly spaced questions with
    ``query_prompt`` and answer sentences with ``doc_prompt``, half each (the data must be available: see the
    README's Datasets)."""
    from datasets_ext.languages import LANGUAGES
    from datasets_ext.lareqa import parse_language
    if family not in LANGUAGES:
        raise ValueError(f"unknown calibration family {family!r}; valid: {', '.join(LANGUAGES)} (or a list of texts)")
    languages = LANGUAGES[family]
    texts = []
    for i, lang in enumerate(languages):
        try:
            parsed = parse_language(family, lang)
        except OSError as e:  # offline and no local copy, or a failed download
            raise RuntimeError(f"openvino-int8 calibrates on {family} texts, which could not be loaded ({e}); set "
                               "PYTERRIER_HYBRID_LAREQA to a local copy, pass calibration=[texts], or use another "
                               "fast mode") from e
        share = size // len(languages) + (i < size % len(languages))
        questions = [q for q, _ in parsed.questions.values()]
        for prompt, pool, k in ((query_prompt, questions, (share + 1) // 2),
                                (doc_prompt, [d.text for d in parsed.docs], share // 2)):
            texts += [prompt + pool[j] for j in np.linspace(0, len(pool) - 1, k).round().astype(int)] if k else []
    return texts


def calibration_family_for(scored: str) -> str:
    """A calibration family other than the ``scored`` family or dataset id (e.g. ``xquad-r/de``): MLQA-R, or
    XQuAD-R when MLQA-R is scored, so that int8 ranges never come from the texts being ranked."""
    from datasets_ext.languages import LANGUAGES
    if scored.split("/")[0] != CALIBRATION_FAMILY:
        return CALIBRATION_FAMILY
    return next(family for family in LANGUAGES if family != CALIBRATION_FAMILY)


def calibration_key(texts: Sequence[str]) -> str:
    """A short hash of calibration texts, for the fingerprint and the exported model's name."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8") + b"\0")
    return digest.hexdigest()[:12]


def _export(transformer, calibration: Sequence[str] | None, folder: Path) -> None:
    """Convert the transformer's Hugging Face model to OpenVINO (quantised on ``calibration`` unless None) and save
    it to ``folder`` with fp32 weights (``save_model`` would compress them to fp16 by default)."""
    import openvino as ov
    model = ov.convert_model(LastHiddenState(transformer.model).eval(), example_input=example_inputs())
    if calibration is not None:
        import nncf
        items = [dict(transformer.tokenizer([text], truncation=True, max_length=transformer.max_seq_length,
                                            return_tensors="np", return_token_type_ids=False))
                 for text in calibration]
        model = nncf.quantize(model, nncf.Dataset(items), model_type=nncf.ModelType.TRANSFORMER,
                              subset_size=len(items))
    ov.save_model(model, str(folder / _MODEL_FILE), compress_to_fp16=False)


def use_openvino(model, export_dir: Path, fingerprint: str, calibration: Sequence[str] | None = None):
    """Swap the transformer of a SentenceTransformer for an OpenVINO model: fp32, or int8 calibrated on
    ``calibration`` (texts with their prompts). Exported once per fingerprint (and calibration) under
    ``export_dir``."""
    transformer = model[0]
    name = f"{fingerprint}-openvino"
    if calibration is not None:  # the ranges depend on the texts and on the length they are truncated at
        name += f"-int8-{calibration_key(calibration)}-len{transformer.max_seq_length}"
    folder = build_directory(Path(export_dir) / name, lambda tmp: _export(transformer, calibration, tmp),
                             is_complete=lambda path: (path / _MODEL_FILE).exists())
    transformer.model = OpenVinoModel(folder / _MODEL_FILE, transformer.model.config)
    return model
