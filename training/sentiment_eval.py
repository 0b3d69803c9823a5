"""Reproduce the sentiment figures of the README: SmSA valid and leave-one-app-out reviews.

    python -m training.sentiment_eval [--config configs/default.toml] [--data-dir DIR]

The product is judged on reviews of apps it never saw, so each app-store review source of the
``[tasks.sentiment]`` config is held out in turn: the model is trained on every other source and
scored on all of that app's star-labeled rows (stars 1-2 negative, 3 neutral, 4-5 positive).
Four variants are compared:

- ``baseline``: SmSA train only, default features and calibrated LinearSVC (the plain baseline);
- ``smsa only``: SmSA train only, the config's features and model;
- ``stars``: the config as it is (reviews labeled by their stars);
- ``own labels``: the same, but reviews whose source gives its own label use it (mobile_jkn).
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from sklearn.metrics import f1_score

from classifier.language import load_language_identifier
from classifier.lexicons import load_slang_lexicon, load_stopwords
from classifier.text import TextNormalizer
from training.config import FeatureConfig, ModelConfig, SourceConfig, TaskConfig, TrainingConfig
from training.data_dir import resolve_data_dir
from training.readers import read_table
from training.train import fit_task, load_task_data, split_indices

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.toml"
# Review sources whose file has a label of its own, not derived from the stars.
OWN_LABEL_COLUMN = "label"
OWN_LABELS = {"positif": "positive", "netral": "neutral", "negatif": "negative"}


@dataclass
class VariantResult:
    name: str
    smsa_valid_macro_f1: float
    held_out: dict[str, float]  # app → macro-F1 on its star labels, model trained without it
    fit_seconds: float  # one fit on all of the variant's training rows


def review_sources(task: TaskConfig) -> list[SourceConfig]:
    """The star-labeled sources: those with a label_map."""
    return [s for s in task.sources if s.label_map]


def app_name(source: SourceConfig) -> str:
    return Path(source.path).stem


def with_own_labels(source: SourceConfig, data_dir: Path) -> SourceConfig:
    """The source read through its own label column when its file has one and it is not the stars."""
    if not source.label_map or source.label == OWN_LABEL_COLUMN:
        return source
    if OWN_LABEL_COLUMN not in read_table(data_dir / source.path).columns:
        return source
    return replace(source, label=OWN_LABEL_COLUMN, label_map=OWN_LABELS)


class Evaluator:
    def __init__(self, config: TrainingConfig, data_dir: Path):
        self.config, self.data_dir = config, data_dir
        self.normalizer = TextNormalizer(config.text, slang=load_slang_lexicon(data_dir),
                                         stopwords=load_stopwords(data_dir), language=load_language_identifier(data_dir))
        self._cache: dict[str, str] = {}

    def normalize(self, texts: list[str]) -> list[str]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        self._cache.update(zip(missing, self.normalizer.transform(missing)))
        return [self._cache[t] for t in texts]

    def fit(self, task: TaskConfig):
        data = load_task_data(task, self.data_dir)
        train_idx, valid_idx, _ = split_indices(data, task, self.config.seed)
        texts = self.normalize(data.texts)
        started = time.perf_counter()
        model = fit_task(task, [texts[i] for i in train_idx], [data.labels[i] for i in train_idx], self.config.seed)
        seconds = time.perf_counter() - started
        valid_f1 = f1_score([data.labels[i] for i in valid_idx], model.predict([texts[i] for i in valid_idx]),
                            average="macro")
        return model, float(valid_f1), seconds

    def star_rows(self, source: SourceConfig) -> tuple[list[str], list[str]]:
        """Every row of a review file with a mapped star, duplicates included: the app as a desk sees it."""
        frame = read_table(self.data_dir / source.path, header=source.header, delimiter=source.delimiter)
        labels = frame[source.label].str.strip().map(lambda v: source.label_map.get(v, ""))
        keep = (labels != "") & (frame[source.text].str.strip() != "")
        return self.normalize(frame.loc[keep, source.text].tolist()), labels[keep].tolist()

    def run(self, name: str, task: TaskConfig, apps: list[SourceConfig]) -> VariantResult:
        model, valid_f1, seconds = self.fit(task)
        held_out = {}
        for app in apps:
            train_sources = [s for s in task.sources if s.path != app.path]
            if len(train_sources) < len(task.sources):
                held_model = self.fit(replace(task, sources=train_sources))[0]
            else:
                held_model = model
            texts, labels = self.star_rows(app)
            held_out[app_name(app)] = float(f1_score(labels, held_model.predict(texts), average="macro"))
        return VariantResult(name, valid_f1, held_out, seconds)


def variants(task: TaskConfig, data_dir: Path) -> dict[str, TaskConfig]:
    smsa = [s for s in task.sources if not s.label_map]
    return {
        "baseline": replace(task, sources=smsa, features=FeatureConfig(), model=ModelConfig()),
        "smsa only": replace(task, sources=smsa),
        "stars": task,
        "own labels": replace(task, sources=[with_own_labels(s, data_dir) for s in task.sources]),
    }


def markdown_table(results: list[VariantResult]) -> str:
    apps = list(results[0].held_out)
    lines = ["| variant | SmSA valid macro-F1 | " + " | ".join(apps) + " | mean held-out app | fit s |",
             "|---" * (len(apps) + 4) + "|"]
    for r in results:
        mean = sum(r.held_out.values()) / len(r.held_out)
        lines.append(f"| {r.name} | {r.smsa_valid_macro_f1:.3f} | "
                     + " | ".join(f"{r.held_out[a]:.3f}" for a in apps) + f" | {mean:.3f} | {r.fit_seconds:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG))
    parser.add_argument("--data-dir", help="data directory (else $ADUAN_DATA_DIR, else ../shared/datasets)")
    args = parser.parse_args(argv)
    config = TrainingConfig.from_toml(args.config)
    if "sentiment" not in config.tasks:
        parser.error(f"{args.config}: no [tasks.sentiment] section")
    data_dir = resolve_data_dir(args.data_dir)
    task = config.tasks["sentiment"]
    evaluator = Evaluator(config, data_dir)
    apps = review_sources(task)
    results = []
    for name, variant in variants(task, data_dir).items():
        results.append(evaluator.run(name, variant, apps))
        print(f"{name}: done", file=sys.stderr, flush=True)
    print("Held-out apps: trained without the app, scored on all its star-labeled rows (macro-F1).\n")
    print(markdown_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
