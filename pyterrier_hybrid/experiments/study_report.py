"""Results of a study: per-setting values, macro-averages per setting kind (mean ± spread over seeds),
hybrid's paired significance tests against every baseline, heatmaps, and the provenance record."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from datasets_ext import KINDS, LANGUAGES
from pyterrier_hybrid.evaluation.report import macro, markdown_table, setting_means, write_heatmaps
from pyterrier_hybrid.evaluation.systems import BM25System
from pyterrier_hybrid.experiments.config import DISPLAY_NAMES, StudyConfig
from pyterrier_hybrid.experiments.paper import claims_table, paper_table
from pyterrier_hybrid.experiments.unseen import UNSEEN_BASELINES, seen_table, write_delta_heatmaps
from pyterrier_hybrid.evaluation.significance import delta_table, paired_tests

#: Measures of the report tables, with their column titles.
#: How the report marks BM25's cross-lingual and multilingual rows, and the note that explains the mark.
LEXICAL_MARK = "†"
LEXICAL_NOTE = (f"{LEXICAL_MARK} BM25 across languages: lexical overlap only (each text analysed in its own "
                "language, so only names, numbers and cognates can match); a floor, not a cross-lingual retriever.")
REPORT_MEASURES: dict[str, str] = {"AP": "mAP", "nDCG@10": "nDCG@10", "R@10": "R@10",
                                   "RankDistance": "RankDistance", "SameLangPref": "SameLangPref"}
SETTING_KEYS: list[str] = ["family", "trained_on", "system", "seed", "kind", "query_lang", "pool_lang", "measure"]


@dataclass
class StudyResult:
    """Per-query values of every system of a study (columns of ``SETTING_KEYS`` plus query_id, value)."""
    config: StudyConfig
    per_query: pd.DataFrame
    provenance: dict

    def settings(self) -> pd.DataFrame:
        """One value per system, seed and setting: the mean over the setting's queries."""
        return setting_means(self.per_query, SETTING_KEYS[:4])

    def summary(self) -> pd.DataFrame:
        """Macro-average over the settings of each kind, then mean, standard deviation and count over seeds."""
        keys = ["family", "system", "kind", "measure"]
        per_seed = macro(self.settings(), ["family", "system", "seed"])
        return (per_seed.groupby(keys, sort=False)["value"].agg(mean="mean", std="std", seeds="count")
                .reset_index())

    def seeds_label(self, family: str) -> str:
        """The seeds a family's fine-tuned systems hold: ``seed(s) 0 1 2`` when every system has the study's seeds,
        else each system's own (a study still running; its mean ± sd then covers those seeds only)."""
        tuned = self.per_query[(self.per_query["family"] == family) & (self.per_query["trained_on"] != "-")]
        stored = {system: sorted(set(seeds)) for system, seeds in tuned.groupby("system", sort=False)["seed"]}
        if all(seeds == sorted(self.config.seeds) for seeds in stored.values()):
            return f"seed(s) {' '.join(map(str, self.config.seeds))}"
        return "seeds stored: " + "; ".join(f"{system} {' '.join(map(str, seeds))}" for system, seeds in stored.items())

    def significance(self) -> pd.DataFrame:
        """Hybrid against every other system (see :func:`paired_tests`)."""
        others = [s for s in pd.unique(self.per_query["system"]) if s != DISPLAY_NAMES["hybrid"]]
        return paired_tests(self.per_query, DISPLAY_NAMES["hybrid"], others)

    def family_table(self, family: str, summary: pd.DataFrame) -> pd.DataFrame:
        """Rows (system, kind), one column per report measure; ``mean ± std`` when there are several seeds."""
        part = summary[(summary["family"] == family) & summary["measure"].isin(list(REPORT_MEASURES))]
        several = len(self.config.seeds) > 1

        def cell(row) -> str | float:
            if not several or row["seeds"] < 2:
                return row["mean"]
            return f"{row['mean']:.3f} ± {row['std']:.3f}"
        part = part.assign(cell=part.apply(cell, axis=1) if len(part) else [])
        table = part.pivot(index=["system", "kind"], columns="measure", values="cell")
        systems = [s for s in DISPLAY_NAMES.values() if s in set(part["system"])]
        index = pd.MultiIndex.from_product([systems, KINDS], names=["system", "kind"])
        table = table.reindex(index=index, columns=[m for m in REPORT_MEASURES if m in table.columns])
        lexical = {(DISPLAY_NAMES["bm25"], kind): (DISPLAY_NAMES["bm25"], f"{kind} {LEXICAL_MARK}")
                   for kind in BM25System.LEXICAL_ONLY_KINDS}
        table.index = pd.MultiIndex.from_tuples([lexical.get(row, row) for row in table.index], names=index.names)
        return table.rename(columns=REPORT_MEASURES)

    def significance_table(self, family: str, tests: pd.DataFrame) -> pd.DataFrame:
        """Rows (baseline, kind), one column per measure: hybrid's mean difference, Holm-adjusted p, ``*`` below 0.05."""
        table = delta_table(tests[tests["family"] == family], ["baseline", "kind"], list(REPORT_MEASURES))
        return table.rename(columns=REPORT_MEASURES)

    def markdown(self) -> str:
        """The report: one section per evaluated family with its table and hybrid's significance tests."""
        summary, tests = self.summary(), self.significance()
        prov = self.provenance
        lines = [f"Command: `{prov['command']}` (commit {prov['commit']})",
                 f"Wall time of this run: {prov['wall seconds'] / 60:.1f} min; all parts of the study "
                 f"(training and evaluation, summed over runs): {prov['study seconds'] / 60:.1f} min.", ""]
        if prov.get("missing parts"):
            lines += [f"**Incomplete:** not stored yet, so not reported: {'; '.join(prov['missing parts'])}.", ""]
        for family in pd.unique(self.per_query["family"]):
            trained_on = sorted(set(self.per_query.loc[self.per_query["family"] == family, "trained_on"]) - {"-"})
            langs = " ".join(sorted(set(self.per_query.loc[self.per_query["family"] == family, "query_lang"])))
            table = self.family_table(family, summary)
            where = (f"the questions of {self.config.training.held_out_items} {family} items held out of training "
                     "(recipe selection)" if self.config.held_out else family)
            lines += [f"## Evaluated on {where} ({langs}); fine-tuned on {', '.join(trained_on) or '-'}, "
                      f"{self.seeds_label(family)}", "", markdown_table(table), "",
                      f"![systems on {family}](systems_{family}.png)", ""]
            if any(kind.endswith(LEXICAL_MARK) for kind in table.index.get_level_values("kind")):
                lines += [LEXICAL_NOTE, ""]
            significance = self.significance_table(family, tests) if len(tests) else pd.DataFrame()
            if len(significance):  # a family whose hybrid model is not stored yet has nothing to test
                lines += ["Hybrid minus baseline, paired t-test over queries, Holm-corrected over baselines "
                          "(`*`: p < 0.05):", "", markdown_table(significance), ""]
            if not self.config.held_out:
                lines += self.paper_lines(family, summary, tests)
                lines += self.unseen_lines(family)
        return "\n".join(lines)

    def trained_languages(self) -> dict[str, set[str]]:
        """Per evaluated family, the languages its fine-tuned models were trained in."""
        return {self.config.evaluated_on(t): set(self.config.training.languages or LANGUAGES[t])
                for t in self.config.train_families}

    def unseen_lines(self, family: str) -> list[str]:
        """Hybrid against X-X and X-Y by whether a setting's languages were seen in training (only where some
        evaluated language was not)."""
        settings, trained = self.settings(), self.trained_languages()
        settings = settings[settings["family"] == family]
        if (family not in trained or set(settings["query_lang"]) <= trained[family]
                or DISPLAY_NAMES["hybrid"] not in set(settings["system"])):  # nothing to compare (yet)
            return []
        table = seen_table(settings, trained, DISPLAY_NAMES["hybrid"], UNSEEN_BASELINES)
        return ["Seen and unseen languages (mAP, mean over settings and seeds; a setting is grouped by whether its "
                "query and pool languages were among the training languages; multilingual settings by the query "
                "language; heatmaps/<family>/hybrid_minus_*_AP.png per language pair):", "",
                markdown_table(table), ""]

    def paper_lines(self, family: str, summary: pd.DataFrame, tests: pd.DataFrame) -> list[str]:
        """Our X-X, X-Y and hybrid beside the paper's Table 1 and rank distances, and its claims restated from
        our significance tests (a claim holds when hybrid minus the baseline is >= 0, or < 0 but n.s.)."""
        model = Path(self.config.base_model.rstrip("/")).name
        lines = [f"Beside the paper (mAP per kind, macro over settings; rank distance in the multilingual pool; "
                 f"ours: mean over the {self.seeds_label(family)}):", "",
                 markdown_table(paper_table(family, summary, model)), ""]
        claims = claims_table(tests, family) if len(tests) else pd.DataFrame()
        if len(claims):
            lines += ["The paper's claims, from these numbers (hybrid minus baseline, Holm-corrected p):", "",
                      markdown_table(claims.set_index(["claim", "baseline", "kind", "measure"]), ".3g"), ""]
        return lines

    def save(self, out_dir: str | Path) -> list[Path]:
        """Write results.csv (per setting), summary.csv, significance.csv, results.md, provenance.json,
        systems_<family>.png (:func:`plot_systems`) and heatmaps/<family>/<system>_AP.png (seed-averaged) under
        ``out_dir``; return the paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        settings = self.settings()
        paths = [out / "results.csv", out / "summary.csv", out / "significance.csv", out / "results.md",
                 out / "provenance.json"]
        settings.to_csv(paths[0], index=False)
        self.summary().to_csv(paths[1], index=False)
        self.significance().to_csv(paths[2], index=False)
        paths[3].write_text(self.markdown() + "\n", encoding="utf-8")
        record = {**self.provenance, "config": dataclasses.asdict(self.config)}
        paths[4].write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
        averaged = settings.groupby(["family", "system", "kind", "query_lang", "pool_lang", "measure"],
                                    sort=False)["value"].mean().reset_index()
        summary = self.summary()
        for family, part in averaged.groupby("family", sort=False):
            paths.append(plot_systems(summary[summary["family"] == family], out / f"systems_{family}.png"))
            paths += write_heatmaps(part, out / "heatmaps" / family, ["AP"])
            paths += write_delta_heatmaps(part, out / "heatmaps" / family, DISPLAY_NAMES["hybrid"], UNSEEN_BASELINES)
        return paths


#: The panels of :func:`plot_systems`: (kind, measure, title).
SYSTEM_PANELS = (*((kind, "AP", f"{kind} mAP") for kind in KINDS),
                 ("multi", "RankDistance", "multi rank distance"))


def plot_systems(summary: pd.DataFrame, path: str | Path) -> Path:
    """One family's fine-tuned systems side by side: mAP in each setting kind and rank distance in the
    multilingual pool, a point per system with the spread over seeds as error bar; the zero-shot model's value in
    each panel's title (it and BM25 are far from the fine-tuned systems, and in the tables)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    references = {DISPLAY_NAMES["bm25"], DISPLAY_NAMES["zero-shot"]}
    systems = [s for s in DISPLAY_NAMES.values() if s in set(summary["system"]) - references]
    fig, axes = plt.subplots(1, len(SYSTEM_PANELS), figsize=(3.2 * len(SYSTEM_PANELS), 3.6), squeeze=False)
    for ax, (kind, measure, title) in zip(axes[0], SYSTEM_PANELS):
        part = summary[(summary["kind"] == kind) & (summary["measure"] == measure)].set_index("system")
        if part["mean"].isna().all():  # e.g. no multilingual pool evaluated
            ax.set_visible(False)
            continue
        tuned = part.reindex(systems)
        for i, system in enumerate(systems):
            ax.errorbar([i], tuned.loc[[system], "mean"], yerr=tuned.loc[[system], "std"].fillna(0), fmt="o",
                        capsize=4, color=f"C{i}")
        ax.set_xticks(range(len(systems)), systems, rotation=35, ha="right")
        ax.set_xlim(-0.6, len(systems) - 0.4)
        zero_shot = part["mean"].get(DISPLAY_NAMES["zero-shot"])
        digits = 0 if measure == "RankDistance" else 3
        ax.set_title(title if zero_shot is None else f"{title}\n(zero-shot {zero_shot:.{digits}f})", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{summary['family'].iloc[0]}: mean ± sd over seeds")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
