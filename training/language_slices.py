"""Held-out figures for complaints that mix languages vs the rest: are mixed complaints handled worse?

Called once per task from :func:`training.train.train` with the task's validation answers; the
language of each validation complaint comes from the model's own identifier
(:mod:`classifier.language`), read on the raw text.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from training.evaluate import evaluate

SLICES = (("mixed", "mixed languages (e.g. mixed:id+jv)"), ("regional", "wholly jv / mad / su / en"),
          ("rest", "Indonesian"))


def slice_of(label: str) -> str:
    if label.startswith("mixed:"):
        return "mixed"
    return "rest" if label == "id" else "regional"


def language_slices(task, data, scored, identifier) -> tuple[dict, str]:
    """(metrics per slice, markdown section) over the validation answers in ``scored``.

    ``scored.y_true`` may hold several repeats of the validation rows (pooled cross-validation):
    the rows are then ``valid_idx`` once per repeat, in order.
    """
    languages = identifier.predict(data.texts[i] for i in scored.valid_idx)
    repeats = len(scored.y_true) // max(1, len(scored.valid_idx))
    slices = np.array([slice_of(lab) for lab in languages] * repeats)
    train_counts = Counter(data.original_labels)
    metrics, lines = {}, []
    for key, title in SLICES:
        rows = np.flatnonzero(slices == key)
        if not len(rows):
            continue
        m = evaluate([scored.y_true[j] for j in rows], scored.proba[rows], scored.classes, train_counts,
                     task.frequent_min, task.label_thresholds)
        metrics[key] = {"n": int(len(rows) // max(1, repeats)), "accuracy": m["accuracy"], "macro_f1": m["macro_f1"],
                        "top3_accuracy": m["top3_accuracy"]}
        lines.append(f"| {title} | {metrics[key]['n']} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | "
                     f"{m['top3_accuracy']:.3f} |")
    counts = Counter(languages)
    section = ("### By language of the complaint\n\nValidation complaints by the language the model's identifier "
               "reads (README, Languages): " + ", ".join(f"{lab} {n}" for lab, n in counts.most_common(6)) + ".\n\n"
               "| complaints | n | accuracy | macro-F1 | top-3 |\n|---|---|---|---|---|\n" + "\n".join(lines) + "\n")
    return metrics, section
