"""Studies: the zero-shot comparison of batch strategies (`reproduce`) and sweeps of hybrid training.

Names are loaded from their modules on first access (see ``pyterrier_hybrid._lazy``).
"""
from __future__ import annotations

from pyterrier_hybrid._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "config": ("DISPLAY_NAMES", "EVALUATED_ON", "TRAINED_SYSTEMS", "StudyConfig", "TrainedModel", "TrainingSetup",
               "full_config", "quick_config"),
    "reproduce": ("run_study",),
    "runner": ("StudyRunner",),
    "store": ("StudyStore",),
    "study_report": ("StudyResult",),
    "sweep": ("SWEEP_PARAMETERS", "plot_sweep", "run_sweep"),
})
