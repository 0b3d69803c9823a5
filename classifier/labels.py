"""What a label may be: the checks shared by POST /v1/feedback and `aduan retrain`.

A desk's correction becomes training data, so it must name a label the model knows (spelled as the
model spells it) or be an explicitly new label that still looks like one: letters, digits, spaces
and the punctuation of agency names, no markup and no personal data.
"""
from __future__ import annotations

import re
from typing import Iterable

from classifier.gazetteer import compact
from classifier.pii import PLACEHOLDERS, mask_pii

# Letters and digits of any script, spaces and . , & ( ) / ' - (as in "Dinas Sumber Daya Air & Bina
# Marga (DSDABM)"); starts with a letter or digit. No underscore: "__main__" is no label.
_LABEL = re.compile(r"[^\W_](?:[^\W_]|[ .,&()/'-])*")
MAX_LABEL_CHARS = 200


def clean_label(value: str) -> str:
    """Spaces collapsed and stripped."""
    return " ".join(str(value).split())


def label_problem(value: str, known: bool = False) -> str | None:
    """Why ``value`` cannot be a label, or None when it can.

    ``known``: a label of the training data or of a model. Its plate-like tokens are tolerated (the
    masker takes "P3K" in "Layanan P3K Dinas Kesehatan" for a plate); a new label may hold nothing
    that the masker would change.
    """
    label = clean_label(value)
    if not label:
        return "empty label"
    if len(label) > MAX_LABEL_CHARS:
        return f"longer than {MAX_LABEL_CHARS} characters"
    masked = mask_pii(label)
    if masked != label:
        found = {name for name, placeholder in PLACEHOLDERS.items() if placeholder in masked and placeholder not in label}
        if not (known and found == {"plate"}):
            return ("holds personal data (" + ", ".join(sorted(found)) + "): a label names a category, "
                    "not a person")
    if not _LABEL.fullmatch(label):
        return "may hold only letters, digits, spaces and . , & ( ) / ' - (no markup)"
    return None


class LabelSet:
    """The labels a model knows for one task, looked up whatever their case, spacing or punctuation."""

    def __init__(self, labels: Iterable[str]):
        self.by_key: dict[str, str] = {}
        for label in labels:
            self.by_key.setdefault(compact(label), label)

    def canonical(self, value: str) -> str | None:
        """The model's spelling of ``value`` ("kelurahan dr soetomo" → "Kelurahan Dr. Soetomo"), or None."""
        key = compact(value)
        return self.by_key.get(key) if key else None

    def __contains__(self, value: str) -> bool:
        return self.canonical(value) is not None

    def __len__(self) -> int:
        return len(self.by_key)

    def sample(self, n: int = 5) -> list[str]:
        return sorted(self.by_key.values())[:n]


def gazetteer_units(router) -> list[str]:
    """Every unit an agency router can answer ("Kelurahan Ujung", "Kecamatan Gubeng"), spelled as its
    training labels spell them when they do."""
    units = []
    for kelurahan, _ in router.gazetteer.kelurahan.values():
        units.append(router.unit_labels.get(("Kelurahan", compact(kelurahan)), f"Kelurahan {kelurahan}"))
    for kecamatan in router.gazetteer.kecamatan.values():
        units.append(router.unit_labels.get(("Kecamatan", compact(kecamatan)), f"Kecamatan {kecamatan}"))
    return units


def model_label_set(bundle, task: str) -> LabelSet:
    """The labels of ``task`` in a model bundle (classifier.model.ModelBundle): its training labels and,
    for an agency router, every unit of its gazetteer. Labels that fail ``label_problem`` (a model trained
    on poisoned corrections) are left out. Empty when the bundle has no such task."""
    cached = bundle.__dict__.setdefault("_label_sets", {})  # a bundle never changes once loaded
    if task not in cached:
        estimator = bundle.tasks.get(task)
        labels = list((bundle.metadata.get("tasks", {}).get(task) or {}).get("labels") or [])
        if estimator is not None and not labels:  # models from before model.json listed them
            labels = [str(c) for c in getattr(estimator, "classes_", [])]
        if hasattr(estimator, "gazetteer"):
            labels += gazetteer_units(estimator)
        cached[task] = LabelSet(label for label in labels if label_problem(label, known=True) is None)
    return cached[task]
