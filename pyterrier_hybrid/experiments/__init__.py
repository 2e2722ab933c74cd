"""Studies: the zero-shot comparison of batch strategies (`reproduce`) and sweeps of hybrid training.

Names are loaded from their modules on first access (see ``pyterrier_hybrid._lazy``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pyterrier_hybrid._lazy import lazy_exports

_LAZY = {
    **dict.fromkeys(("DISPLAY_NAMES", "EVALUATED_ON", "TRAINED_SYSTEMS", "StudyConfig", "TrainedModel", "TrainingSetup",
                     "full_config", "quick_config"), "config"),
    "run_study": "reproduce", "holm": "significance", "paired_tests": "significance", "StudyStore": "store",
    "StudyRunner": "runner", "StudyResult": "study_report", "SWEEP_PARAMETERS": "sweep", "plot_sweep": "sweep",
    "run_sweep": "sweep",
}
__all__ = sorted(_LAZY)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:
    from pyterrier_hybrid.experiments.config import (DISPLAY_NAMES, EVALUATED_ON, TRAINED_SYSTEMS, StudyConfig,
                                                     TrainedModel, TrainingSetup, full_config, quick_config)
    from pyterrier_hybrid.experiments.reproduce import run_study
    from pyterrier_hybrid.experiments.runner import StudyRunner
    from pyterrier_hybrid.experiments.significance import holm, paired_tests
    from pyterrier_hybrid.experiments.store import StudyStore
    from pyterrier_hybrid.experiments.study_report import StudyResult
    from pyterrier_hybrid.experiments.sweep import SWEEP_PARAMETERS, plot_sweep, run_sweep
