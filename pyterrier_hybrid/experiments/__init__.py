"""Studies: the zero-shot comparison of batch strategies (`reproduce`) and sweeps of hybrid training."""
from pyterrier_hybrid.experiments.config import (DISPLAY_NAMES, EVALUATED_ON, TRAINED_SYSTEMS, StudyConfig,
                                                 TrainingSetup, full_config, quick_config)
from pyterrier_hybrid.experiments.reproduce import run_study
from pyterrier_hybrid.experiments.significance import holm, paired_tests
from pyterrier_hybrid.experiments.store import StudyStore
from pyterrier_hybrid.experiments.study_report import StudyResult
from pyterrier_hybrid.experiments.sweep import SWEEP_PARAMETERS, plot_sweep, run_sweep

__all__ = ["DISPLAY_NAMES", "EVALUATED_ON", "SWEEP_PARAMETERS", "StudyConfig", "StudyResult", "StudyStore",
           "TRAINED_SYSTEMS", "TrainingSetup", "full_config", "holm", "paired_tests", "plot_sweep", "quick_config",
           "run_study", "run_sweep"]
