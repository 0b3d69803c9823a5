"""Compare the configured topic and agency models with the plain baseline on the same time split.

    python -m training.baseline [--config configs/default.toml] [--data-dir DIR]

The baseline is the one the product targets are stated against: word TF-IDF + LinearSVC on
lower-cased raw text, flat agency labels (no kelurahan / kecamatan routing).
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import replace

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from classifier.lexicons import load_slang_lexicon, load_stopwords
from classifier.text import TextNormalizer
from training.config import TrainingConfig
from training.data_dir import resolve_data_dir
from training.evaluate import evaluate
from training.train import ExtraRows, held_out, load_task_data, local_unit_metrics, split_indices

ROWS = [("topic", "frequent_macro_f1", "topic macro-F1, topics >= 30"),
        ("agency", "frequent_accuracy", "agency accuracy, agencies >= 50"),
        ("agency", "frequent_top3_accuracy", "agency top-3, agencies >= 50"),
        ("agency", "local_unit_accuracy", "exact kelurahan/kecamatan"),
        ("agency", "local_unit_top3_accuracy", "kelurahan/kecamatan unit in top-3"),
        ("agency", "accuracy", "agency accuracy, all complaints")]
# Complaints that arrive with their topic (`known_topic`): the plain baseline cannot read it.
KNOWN_TOPIC_ROWS = [("frequent_accuracy", "agency accuracy, agencies >= 50, topic known"),
                    ("frequent_top3_accuracy", "agency top-3, agencies >= 50, topic known"),
                    ("local_unit_accuracy", "exact kelurahan/kecamatan, topic known"),
                    ("local_unit_top3_accuracy", "kelurahan/kecamatan unit in top-3, topic known")]


def baseline_metrics(task, data_dir, seed):
    flat = replace(task, router=None)
    data = load_task_data(flat, data_dir)
    train_idx, valid_idx, _ = split_indices(data, flat, seed)
    model = make_pipeline(TfidfVectorizer(), LinearSVC(random_state=seed))
    model.fit([data.texts[i].lower() for i in train_idx], [data.labels[i] for i in train_idx])
    scores = model.decision_function([data.texts[i].lower() for i in valid_idx])
    y_valid, classes = [data.labels[i] for i in valid_idx], list(model.classes_)
    metrics = evaluate(y_valid, scores, classes, Counter(data.labels[i] for i in train_idx), task.frequent_min)
    metrics.update(local_unit_metrics(y_valid, scores, classes))
    return metrics


def configured_metrics(task, data_dir, config):
    """The held-out metrics `aduan train` records for this task (router and known-topic figures included)."""
    normalizer = TextNormalizer(config.text, slang=load_slang_lexicon(data_dir), stopwords=load_stopwords(data_dir))
    data = load_task_data(task, data_dir)
    texts = normalizer.transform(data.texts)
    train_idx, valid_idx, split_name = split_indices(data, task, config.seed)
    no_extra = ExtraRows([], [], [], [], [])
    metrics, _ = held_out("", task, data, texts, train_idx, valid_idx, split_name, no_extra, data_dir, config.seed,
                          config.routing_table)
    return metrics


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/default.toml")
    parser.add_argument("--data-dir")
    args = parser.parse_args(argv)
    config = TrainingConfig.from_toml(args.config)
    data_dir = resolve_data_dir(args.data_dir)
    results = {name: (baseline_metrics(config.tasks[name], data_dir, config.seed),
                      configured_metrics(config.tasks[name], data_dir, config)) for name in ("topic", "agency")}
    print(f"{'metric (time split, latest 20 % of 2022)':<46} {'baseline':>9} {'aduan':>9} {'gain':>8}")
    for task, key, title in ROWS:
        base, ours = results[task][0][key], results[task][1][key]
        print(f"{title:<46} {base:>9.3f} {ours:>9.3f} {ours - base:>+8.3f}")
    known = results["agency"][1].get("with_known_topic")
    for key, title in KNOWN_TOPIC_ROWS if known else []:
        print(f"{title:<46} {'-':>9} {known[key]:>9.3f} {'':>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
