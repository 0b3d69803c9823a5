"""Two-stage agency routing: city agency or local level, then the exact kelurahan / kecamatan.

About one complaint in nine goes to one of ~150 local units ("Kelurahan Ujung"), most seen only a
handful of times: a flat classifier cannot learn them. Stage one predicts among the city agencies
plus the generic levels ("Kelurahan", "Kecamatan"); stage two resolves the unit from where the
complaint is, with the gazetteer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches
from functools import lru_cache
from typing import Iterable

import numpy as np

from classifier.gazetteer import Gazetteer, Place, compact
from classifier.routing_table import RoutingTable

LOCAL_LEVELS = ("Kelurahan", "Kecamatan")
# Similarity (difflib ratio of compact names) above which a unit name is a spelling of a training label
SPELLING_CUTOFF = 0.9
_LOCAL_LABEL = re.compile(r"^(Kelurahan|Kecamatan)\s+(.+)$")


def agency_level(label: str) -> str:
    """"Kelurahan Ujung" → "Kelurahan"; city agencies are their own level."""
    match = _LOCAL_LABEL.match(label.strip())
    return match.group(1) if match else label


@lru_cache(maxsize=1024)
def _closest_spelling(key: str, known: tuple[str, ...]) -> str | None:
    found = get_close_matches(key, known, n=1, cutoff=SPELLING_CUTOFF)
    return found[0] if found else None


def weigh_known_topics(proba: np.ndarray, classes, topics: list[str | None],
                       routing_table: RoutingTable) -> np.ndarray:
    """``proba`` (rows: complaints, columns: ``classes``) times P(agency | topic) for the rows whose
    topic is in ``routing_table``, renormalized; other rows unchanged."""
    if not any(topics):
        return proba
    proba = proba.copy()
    for row, topic in zip(proba, topics):
        prior = routing_table.agency_prior(topic, classes)
        if prior is not None:
            row *= prior
            row /= row.sum()
    return proba


def split_by_level(proba: np.ndarray, classes, p_local: np.ndarray) -> np.ndarray:
    """Level-model probabilities re-shared so that the local levels together get ``p_local`` per row
    (from the local-or-city model) and the city agencies the rest, each group in its own proportions."""
    local = np.isin(classes, LOCAL_LEVELS)
    if not local.any() or local.all():
        return proba
    proba = proba.copy()
    p_local = np.asarray(p_local, dtype=float)
    for columns, share in ((local, p_local), (~local, 1.0 - p_local)):
        total = proba[:, columns].sum(axis=1)
        even = np.full(columns.sum(), 1.0 / columns.sum())
        inside = np.divide(proba[:, columns], total[:, None], out=np.tile(even, (len(proba), 1)),
                           where=total[:, None] > 0)
        proba[:, columns] = inside * share[:, None]
    return proba


@dataclass(frozen=True)
class RoutedAgency:
    labels: list[str]  # best first; local levels replaced by the resolved unit when one was found
    confidences: list[float]
    place: Place | None
    unresolved_level: bool  # the best answer is a local level but no location was found


class AgencyRouter:
    """Route complaints to an agency label as the training data spells it.

    Parameters
    ----------
    level_model : fitted estimator over normalized text whose classes are city agencies and levels.
    gazetteer : the city's kelurahan / kecamatan names.
    unit_labels : training label of each local unit, keyed by (level, compact name), so the output
        is spelled exactly as in the training data ("Kelurahan dr. Soetomo").
    local_weight : factor on the probability of the local levels before choosing, for complaints routed
        from their text (not those whose known topic is in the routing table). Above 1 sends more
        complaints to kelurahan / kecamatan (more local units found, fewer city-agency hits);
        report.md shows the trade-off per weight.
    local_model : optional fitted binary estimator over the same inputs whose classes are False / True
        ("goes to a local unit"); its calibrated P(local) replaces the level model's share of the local
        levels (:func:`split_by_level`). When it is unsure, the best answer's confidence is low, and
        the confidence policy sends the complaint to review instead of guessing.
    """

    def __init__(self, level_model, gazetteer: Gazetteer, unit_labels: dict[tuple[str, str], str],
                 local_weight: float = 1.0, local_model=None):
        self.level_model = level_model
        self.gazetteer = gazetteer
        self.unit_labels = unit_labels
        self.local_weight = local_weight
        self.local_model = local_model

    def __setstate__(self, state):  # models pickled before local_model existed
        self.__dict__.update({"local_model": None, **state})

    @classmethod
    def unit_labels_from(cls, labels: Iterable[str]) -> dict[tuple[str, str], str]:
        units = {}
        for label in labels:
            match = _LOCAL_LABEL.match(label.strip())
            if match:
                units.setdefault((match.group(1), compact(match.group(2))), label.strip())
        return units

    @property
    def classes_(self):
        return self.level_model.classes_

    def unit_label(self, level: str, place: Place | None) -> str | None:
        name = None if place is None else (place.kelurahan if level == "Kelurahan" else place.kecamatan)
        if not name:
            return None
        key = compact(name)
        if (level, key) not in self.unit_labels:
            # The desk's labels and the lookup tables sometimes spell a unit differently ("Cantian" /
            # "Cantikan"): take the training label of the same level that differs by a letter or two.
            key = _closest_spelling(key, tuple(k for lev, k in self.unit_labels if lev == level)) or key
        return self.unit_labels.get((level, key), f"{level} {name}")

    def route(self, normalized: list[str], complaints: list, k: int = 3,
              routing_table: RoutingTable | None = None) -> list[RoutedAgency]:
        """``complaints`` carry text, alamat, kecamatan, kelurahan and known_topic (see
        classifier.predict.Complaint). With a ``routing_table``, a complaint's known topic weighs in
        as P(agency | topic) times the text model's probabilities: whether a problem goes to the
        kelurahan or to a city agency is mostly decided by its topic, which the text alone barely shows.
        """
        proba = self.level_model.predict_proba(normalized)
        classes = np.asarray(self.level_model.classes_)
        if self.local_model is not None:
            local_column = list(self.local_model.classes_).index(True)
            proba = split_by_level(proba, classes, self.local_model.predict_proba(normalized)[:, local_column])
        # local_weight makes up for what the text cannot tell; a known topic tells it, so it decides alone.
        by_text = np.array([routing_table is None or routing_table.get(c.known_topic) is None for c in complaints],
                           dtype=bool)
        if self.local_weight != 1.0 and by_text.any():
            proba = proba.copy()
            proba[by_text] *= np.where(np.isin(classes, LOCAL_LEVELS), self.local_weight, 1.0)
            proba[by_text] /= proba[by_text].sum(axis=1, keepdims=True)
        if routing_table is not None:
            proba = weigh_known_topics(proba, classes, [c.known_topic for c in complaints], routing_table)
        order = np.argsort(-proba, axis=1)[:, :k]
        results = []
        for row, idx, complaint in zip(proba, order, complaints):
            labels = [str(classes[i]) for i in idx]
            place = None
            if any(lab in LOCAL_LEVELS for lab in labels):
                place = self.gazetteer.locate(complaint.kelurahan, complaint.kecamatan, complaint.alamat,
                                              complaint.text)
            resolved = [self.unit_label(lab, place) or lab if lab in LOCAL_LEVELS else lab for lab in labels]
            results.append(RoutedAgency(resolved, [float(row[i]) for i in idx], place,
                                        labels[0] in LOCAL_LEVELS and resolved[0] == labels[0]))
        return results
