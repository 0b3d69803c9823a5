"""Why the router's stage one stops near 0.5 on local complaints from the text alone.

    python -m training.local_routing_study [--config configs/default.toml] [--data-dir DIR]

Scores the agency task's level model (city agencies + "Kelurahan" / "Kecamatan") on the complaints
that went to a kelurahan or kecamatan, under variants that would lift it if the text or the form
fields held the missing signal: no time drift, more recent training data, location features, other
classifiers, re-weighting to recent label shares, a local-or-city model of its own (text, address
block, the topic model's probabilities), and the channel's topic. Prints one line per variant: the
level accuracy on local complaints and the accuracy on frequent city agencies (or a ranking AUC).
Takes about three minutes on two cores. README "Agency routing" quotes its output.
"""
from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import replace

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from classifier.router import LOCAL_LEVELS, weigh_known_topics
from training.config import TrainingConfig
from training.data_dir import resolve_data_dir
from training.routing_table import routing_table_from
from training.train import Normalizers, fit_task, load_task_data, split_indices


class LevelScores:
    """Level accuracy on local complaints and accuracy on frequent city agencies, for one split."""

    def __init__(self, labels: np.ndarray, valid_idx: np.ndarray, frequent: set[str]):
        self.truth = labels[valid_idx]
        self.local = np.isin(self.truth, LOCAL_LEVELS)
        self.city = np.array([t in frequent for t in self.truth]) & ~self.local

    def line(self, name: str, predicted) -> str:
        predicted = np.asarray(predicted)
        return (f"{name:<58} {np.mean(predicted[self.local] == self.truth[self.local]):>6.3f} "
                f"{np.mean(predicted[self.city] == self.truth[self.city]):>6.3f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/default.toml")
    parser.add_argument("--data-dir")
    args = parser.parse_args(argv)
    config = TrainingConfig.from_toml(args.config)
    data_dir = resolve_data_dir(args.data_dir)
    task = config.tasks["agency"]
    data = load_task_data(task, data_dir)
    texts = np.array(Normalizers(data_dir).normalize(config.text, data.texts), dtype=object)
    labels = np.array(data.labels, dtype=object)
    train_idx, valid_idx, split_name = split_indices(data, task, config.seed)
    counts = Counter(data.original_labels[i] for i in train_idx)
    frequent = {label for label, n in counts.items() if n >= task.frequent_min}
    scores = LevelScores(labels, valid_idx, frequent)

    def fit_predict(train, valid, train_texts=texts, valid_texts=None, model=task.model):
        estimator = fit_task(replace(task, model=model), list(train_texts[train]), list(labels[train]), config.seed)
        proba = estimator.predict_proba(list((train_texts if valid_texts is None else valid_texts)[valid]))
        return np.asarray(estimator.classes_), proba

    print(f"{split_name}; {int(scores.local.sum())} local and {int(scores.city.sum())} frequent-city validation complaints")
    print(f"{'variant':<58} {'local':>6} {'city':>6}")
    classes, proba = fit_predict(train_idx, valid_idx)
    print(scores.line("configured level model, text only", classes[proba.argmax(1)]))
    local_columns = np.isin(classes, LOCAL_LEVELS)
    local_auc = roc_auc_score(scores.local, proba[:, local_columns].sum(1))

    # No drift: a random split of the whole year, and the validation period partly learned.
    rows = np.arange(len(labels))
    label_counts = Counter(labels)
    rare = np.array([label_counts[label] < 5 for label in labels])
    strata = np.where(rare, "rare", labels)
    fold_scores = []
    for train, valid in list(StratifiedKFold(5, shuffle=True, random_state=config.seed).split(rows, strata))[:2]:
        c, p = fit_predict(train, valid)
        local = np.isin(labels[valid], LOCAL_LEVELS)
        fold_scores.append(np.mean(c[p.argmax(1)][local] == labels[valid][local]))
    print(f"{'random split of the whole year (2 folds)':<58} {np.mean(fold_scores):>6.3f}")
    fold_scores = []
    valid_counts = Counter(labels[valid_idx])
    valid_strata = np.array([label if valid_counts[label] >= 5 else "rare" for label in labels[valid_idx]])
    for train, valid in StratifiedKFold(5, shuffle=True, random_state=config.seed).split(valid_idx, valid_strata):
        c, p = fit_predict(np.concatenate([train_idx, valid_idx[train]]), valid_idx[valid])
        local = np.isin(labels[valid_idx[valid]], LOCAL_LEVELS)
        fold_scores.append(np.mean(c[p.argmax(1)][local] == labels[valid_idx[valid]][local]))
    print(f"{'+ 80 % of the validation period in training (5 folds)':<58} {np.mean(fold_scores):>6.3f}")

    # Form fields as extra tokens.
    for field in ("kecamatan", "kelurahan", "alamat"):
        values = data.inputs[field].str.lower().str.replace(r"[^a-z0-9]+", "_", regex=True)
        with_field = np.array([f"{t} {field}={v}" for t, v in zip(texts, values)], dtype=object)
        c, p = fit_predict(train_idx, valid_idx, with_field)
        print(scores.line(f"+ the reporter's {field} as a token", c[p.argmax(1)]))

    # Other classifiers and re-weighting to recent label shares.
    c, p = fit_predict(train_idx, valid_idx, model=replace(task.model, kind="logreg", C=10.0))
    print(scores.line("logistic regression, C = 10", c[p.argmax(1)]))
    dates = data.dates.to_numpy()
    newest = dates[train_idx].max()

    def shares(idx):
        found = Counter(labels[idx])
        return np.array([found.get(label, 0) + 1.0 for label in classes]) / (len(idx) + len(classes))

    for days in (60, 90):
        recent = train_idx[dates[train_idx] > newest - np.timedelta64(days, "D")]
        reweighted = proba * shares(recent) / shares(train_idx)
        print(scores.line(f"re-weighted to the label shares of the last {days} days", classes[reweighted.argmax(1)]))
    binary = np.where(np.isin(labels, LOCAL_LEVELS), "local", "city")
    separate = fit_task(task, list(texts[train_idx]), list(binary[train_idx]), config.seed)
    separate_auc = roc_auc_score(scores.local, separate.predict_proba(list(texts[valid_idx]))[
        :, list(separate.classes_).index("local")])
    print(f"{'P(local) ranking AUC: level model / separate local-vs-city':<58} {local_auc:>6.3f} {separate_auc:>6.3f}")
    # The separate model with the reporter's address as a block of its own, and P(local) implied by a
    # topic model of the text: sum over topics of P(topic | text) x the topic's local share in training.
    addressed = np.array(data.with_addresses(list(texts)), dtype=object)
    with_address = replace(task, features=replace(task.features, address_block=True))
    separate = fit_task(with_address, list(addressed[train_idx]), list(binary[train_idx]), config.seed)
    address_auc = roc_auc_score(scores.local, separate.predict_proba(list(addressed[valid_idx]))[
        :, list(separate.classes_).index("local")])
    topics = data.inputs["known_topic"].to_numpy()
    topic_rows = train_idx[topics[train_idx] != ""]
    topic_model = fit_task(config.tasks.get("topic", task), list(texts[topic_rows]), list(topics[topic_rows]),
                           config.seed)
    local_share = {t: np.mean(np.isin(labels[topic_rows][topics[topic_rows] == t], LOCAL_LEVELS))
                   for t in set(topics[topic_rows])}
    implied = topic_model.predict_proba(list(texts[valid_idx])) @ np.array(
        [local_share[t] for t in topic_model.classes_])
    print(f"{'AUC: separate model + address block / P(local) via topics':<58} {address_auc:>6.3f} "
          f"{roc_auc_score(scores.local, implied):>6.3f}")

    # The channel's topic, when known at intake.
    table = routing_table_from(data.inputs["known_topic"].iloc[train_idx], [data.original_labels[i] for i in train_idx],
                               config.routing_table.min_complaints if config.routing_table else 1)
    with_topic = weigh_known_topics(proba, classes, list(data.inputs["known_topic"].iloc[valid_idx]), table)
    print(scores.line("topic known: P(agency | topic) x text model", classes[with_topic.argmax(1)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
