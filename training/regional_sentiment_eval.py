"""Sentiment in Javanese, Madurese, Sundanese and English (README, Sentiment): which variant ships.

    python -m training.regional_sentiment_eval [--config configs/default.toml] [--data-dir DIR] [--folds 5]

Variants of the config's ``[tasks.sentiment]`` (its features and model unchanged):

- ``plain``: the config's Indonesian sources only, no regional text step (the reference);
- ``normalized``: the same, with ``[text] normalize_regional`` on;
- ``regional data``: plus the NusaX regional train splits (``regional/sentiment/*/train.csv``);
- ``regional data, normalized``: both;
- ``regional data ×w, normalized``: both, each regional row weighing ``w`` in the fit (``--weights``).

The choice is made on cross-validation inside the regional train splits: folds group the NusaX
sentence id, so a sentence is never learned in one language and scored in another. The valid
splits and SmSA valid are scored once, by models trained on all training rows of each variant.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from classifier.language import load_language_identifier
from classifier.lexicons import load_slang_lexicon, load_stopwords
from classifier.text import TextNormalizer
from training.config import SourceConfig, TaskConfig, TrainingConfig
from training.data_dir import resolve_data_dir
from training.readers import read_table
from training.train import fit_task, load_task_data, split_indices

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.toml"
REGIONAL_SENTIMENT = {"jv": "javanese", "mad": "madurese", "su": "sundanese", "en": "english"}


def regional_path(lang: str, split: str) -> str:
    return f"regional/sentiment/{REGIONAL_SENTIMENT[lang]}/{split}.csv"


def is_regional(source: SourceConfig) -> bool:
    return source.path.startswith("regional/sentiment/")


class Variant:
    """One way to train sentiment: which sources, and whether the regional step normalizes."""

    def __init__(self, name: str, task: TaskConfig, normalizer: TextNormalizer, weight: float = 1.0):
        self.name, self.task, self.normalizer, self.weight = name, task, normalizer, weight
        self._cache: dict[str, str] = {}

    def normalize(self, texts) -> list[str]:
        texts = [str(t) for t in texts]
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        self._cache.update(zip(missing, self.normalizer.transform(missing)))
        return [self._cache[t] for t in texts]

    def base_rows(self, data_dir: Path, seed: int) -> tuple[list[str], list[str]]:
        """The training rows of the Indonesian sources (SmSA valid and other valid_sources left out)."""
        indonesian = replace(self.task, sources=[s for s in self.task.sources if not is_regional(s)])
        data = load_task_data(indonesian, data_dir)
        train_idx, _, _ = split_indices(data, indonesian, seed)
        return self.normalize([data.texts[i] for i in train_idx]), [data.labels[i] for i in train_idx]

    @property
    def uses_regional_data(self) -> bool:
        return any(is_regional(s) for s in self.task.sources)


def regional_frame(data_dir: Path, split: str) -> pd.DataFrame:
    """All four languages' rows of one split: id, text, label, language."""
    frames = [read_table(data_dir / regional_path(lang, split)).assign(language=lang) for lang in REGIONAL_SENTIMENT]
    return pd.concat(frames, ignore_index=True)


def per_language_f1(model, variant: Variant, frame: pd.DataFrame) -> dict[str, float]:
    predicted = model.predict(variant.normalize(frame["text"]))
    return {lang: float(f1_score(frame["label"][mask], predicted[mask.to_numpy()], average="macro"))
            for lang in REGIONAL_SENTIMENT for mask in [frame["language"] == lang]}


def cross_validate(variant: Variant, base: tuple[list[str], list[str]], train: pd.DataFrame, folds: int,
                   seed: int) -> dict[str, float]:
    """Macro-F1 per language, out of fold on the regional train splits, grouped by sentence id."""
    scores: dict[str, list[float]] = {lang: [] for lang in REGIONAL_SENTIMENT}
    model = None if variant.uses_regional_data else fit_task(variant.task, *base, seed)
    for fit_idx, held_idx in GroupKFold(n_splits=folds).split(train, groups=train["id"]):
        if variant.uses_regional_data:
            model = fit_with_regional(variant, base, train.iloc[fit_idx], seed)
        for lang, f1 in per_language_f1(model, variant, train.iloc[held_idx]).items():
            scores[lang].append(f1)
    return {lang: float(np.mean(v)) for lang, v in scores.items()}


def fit_with_regional(variant: Variant, base: tuple[list[str], list[str]], rows: pd.DataFrame, seed: int):
    """The variant's model on the Indonesian rows plus ``rows`` of the regional train splits."""
    weights = [1.0] * len(base[0]) + [variant.weight] * len(rows)
    return fit_task(variant.task, base[0] + variant.normalize(rows["text"]), base[1] + rows["label"].tolist(), seed,
                    weights if variant.weight != 1.0 else None)


def smsa_valid_f1(model, variant: Variant, data_dir: Path) -> float:
    frames = [read_table(data_dir / s.path, header=s.header, delimiter=s.delimiter) for s in variant.task.valid_sources]
    texts = [t for f, s in zip(frames, variant.task.valid_sources) for t in f[s.text]]
    labels = [lab for f, s in zip(frames, variant.task.valid_sources) for lab in f[s.label]]
    return float(f1_score(labels, model.predict(variant.normalize(texts)), average="macro"))


def variants(config: TrainingConfig, data_dir: Path, weights: list[float]) -> list[Variant]:
    task = config.tasks["sentiment"]
    identifier = load_language_identifier(data_dir)
    slang, stopwords = load_slang_lexicon(data_dir), load_stopwords(data_dir)

    def normalizer(regional: bool) -> TextNormalizer:
        return TextNormalizer(replace(config.text, normalize_regional=regional), slang=slang, stopwords=stopwords,
                              language=identifier)

    indonesian = [s for s in task.sources if not is_regional(s)]
    regional = [SourceConfig(path=regional_path(lang, "train")) for lang in REGIONAL_SENTIMENT]
    plain_task, regional_task = replace(task, sources=indonesian), replace(task, sources=indonesian + regional)
    return [Variant("plain", plain_task, normalizer(False)), Variant("normalized", plain_task, normalizer(True)),
            Variant("regional data", regional_task, normalizer(False)),
            Variant("regional data, normalized", regional_task, normalizer(True)),
            *(Variant(f"regional data ×{w:g}, normalized", regional_task, normalizer(True), w) for w in weights)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG))
    parser.add_argument("--data-dir", help="data directory (else $ADUAN_DATA_DIR, else ../shared/datasets)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--weights", default="2,3", help="sample weights of the regional rows to compare, e.g. 2,3")
    parser.add_argument("--only", help="variant names to run, separated by ; (default: all)")
    args = parser.parse_args(argv)
    config = TrainingConfig.from_toml(args.config)
    if "sentiment" not in config.tasks:
        parser.error(f"{args.config}: no [tasks.sentiment] section")
    data_dir = resolve_data_dir(args.data_dir)
    train, valid = regional_frame(data_dir, "train"), regional_frame(data_dir, "valid")
    langs = list(REGIONAL_SENTIMENT)
    cv_rows, valid_rows = [], []
    weights = [float(w) for w in args.weights.split(",") if w.strip()]
    only = {n.strip() for n in args.only.split(";")} if args.only else None
    for variant in variants(config, data_dir, weights):
        if only is not None and variant.name not in only:
            continue
        base = variant.base_rows(data_dir, config.seed)
        cv = cross_validate(variant, base, train, args.folds, config.seed)
        model = (fit_with_regional(variant, base, train, config.seed) if variant.uses_regional_data
                 else fit_task(variant.task, *base, config.seed))
        scores = per_language_f1(model, variant, valid)
        valid_rows.append((variant.name, scores, smsa_valid_f1(model, variant, data_dir)))
        cv_rows.append((variant.name, cv))
        print(f"{variant.name}: done", file=sys.stderr, flush=True)
    print(f"## Cross-validation inside the regional train splits ({args.folds} folds grouped by sentence id), "
          "macro-F1\n")
    print("| variant | " + " | ".join(langs) + " | mean |")
    print("|---" * (len(langs) + 2) + "|")
    for name, cv in cv_rows:
        print(f"| {name} | " + " | ".join(f"{cv[lang]:.3f}" for lang in langs) + f" | {np.mean(list(cv.values())):.3f} |")
    print("\n## Valid splits (scored once) and SmSA valid, macro-F1\n")
    print("| variant | " + " | ".join(langs) + " | SmSA valid |")
    print("|---" * (len(langs) + 2) + "|")
    for name, scores, smsa in valid_rows:
        print(f"| {name} | " + " | ".join(f"{scores[lang]:.3f}" for lang in langs) + f" | {smsa:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
