"""Prediction: load a model bundle and classify complaints into typed results."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import sklearn

from classifier.address import with_addresses
from classifier.confidence import ConfidencePolicy
from classifier.explain import cue_tokens, original_words
from classifier.language import LanguageIdentifier
from classifier.model import ModelBundle
from classifier.router import LOCAL_LEVELS, agency_level
from classifier.routing_table import RoutingTable
from classifier.urgency import urgency_reasons

# Texts longer than this are cut before prediction: the first 20k characters hold the complaint.
MAX_TEXT_CHARS = 20_000
# Fewer normalized tokens than this: too short to judge, always needs review.
MIN_TOKENS = 3


COMPLAINT_FIELDS = ("text", "alamat", "kecamatan", "kelurahan", "known_topic")


@dataclass(frozen=True)
class Complaint:
    text: str
    alamat: str | None = None
    kecamatan: str | None = None
    kelurahan: str | None = None
    # A topic already chosen by the reporter or the desk: routes the agency through the routing table
    known_topic: str | None = None

    @classmethod
    def coerce(cls, value: "str | Mapping | Complaint") -> "Complaint":
        if isinstance(value, Complaint):
            return value
        if isinstance(value, str):
            return cls(text=value)
        return cls(**{k: (None if value.get(k) is None else str(value.get(k)))
                      for k in COMPLAINT_FIELDS})


@dataclass(frozen=True)
class LabelScore:
    label: str
    confidence: float


@dataclass
class TaskPrediction:
    """One field's answer: best label, its calibrated confidence and the runners-up."""

    label: str
    confidence: float
    top: list[LabelScore]
    unresolved: bool = False  # a local level ("Kelurahan") whose unit could not be located
    level: str = ""  # confidence level: high / medium / low
    action: str = ""  # automation: auto / suggest / recommend
    explanation: list[str] = field(default_factory=list)  # cue words of the original text


@dataclass
class SentimentPrediction(TaskPrediction):
    language: str = ""  # classifier.language label of the text: id, jv, mad, su, en or mixed:id+jv ...


@dataclass
class ComplaintPrediction:
    topic: TaskPrediction | None = None
    agency: TaskPrediction | None = None
    urgency: TaskPrediction | None = None
    urgency_reasons: list[str] = field(default_factory=list)
    needs_review: bool = True
    language: str = ""  # classifier.language label of the text: id, jv, mad, su, en or mixed:id+jv ...

    def to_row(self) -> dict:
        """The columns of the `aduan predict` contract, in contract order."""

        def label(p):
            return p.label if p else ""

        def conf(p):
            return round(p.confidence, 4) if p else ""

        def level(p):
            return p.level if p else ""

        return {
            "topic": label(self.topic),
            "topic_confidence": conf(self.topic),
            "topic_confidence_level": level(self.topic),
            "agency": label(self.agency),
            "agency_confidence": conf(self.agency),
            "agency_confidence_level": level(self.agency),
            "agency_top3": "|".join(s.label for s in self.agency.top[:3]) if self.agency else "",
            "urgency": label(self.urgency),
            "urgency_confidence": conf(self.urgency),
            "urgency_reasons": "|".join(self.urgency_reasons),
            "urgency_confidence_level": level(self.urgency),
            "needs_review": "true" if self.needs_review else "false",
            "language": self.language,
        }

    def explanation_row(self) -> dict:
        """The `--explain` columns: cue words per field, joined by `|`."""
        return {f"{name}_cues": "|".join(p.explanation) if p else ""
                for name, p in (("topic", self.topic), ("agency", self.agency), ("urgency", self.urgency))}


PREDICTION_COLUMNS = list(ComplaintPrediction().to_row())
EXPLANATION_COLUMNS = list(ComplaintPrediction().explanation_row())


def threshold_decisions(proba: np.ndarray, classes: Sequence[str],
                        thresholds: Mapping[str, float] | None = None) -> np.ndarray:
    """Column of the predicted label per row of ``proba``.

    The most probable label among those whose probability reaches their threshold (a task's
    ``label_thresholds``, e.g. ``{"tinggi": 0.3}``), else the most probable label.
    """
    best = proba.argmax(axis=1)
    columns = [j for j, c in enumerate(classes) if c in (thresholds or {})]
    if not columns:
        return best
    reached = np.zeros(proba.shape, dtype=bool)
    for j in columns:
        reached[:, j] = proba[:, j] >= thresholds[classes[j]]
    return np.where(reached.any(axis=1), np.where(reached, proba, -1.0).argmax(axis=1), best)


def _task_predictions(estimator, texts: list[str], k: int = 3,
                      thresholds: Mapping[str, float] | None = None) -> list[TaskPrediction]:
    proba = estimator.predict_proba(texts)
    classes = [str(c) for c in estimator.classes_]
    order = np.argsort(-proba, axis=1)[:, :k]
    out = []
    for row, idx, chosen in zip(proba, order, threshold_decisions(proba, classes, thresholds)):
        top = [LabelScore(classes[i], float(row[i])) for i in idx]
        out.append(TaskPrediction(classes[chosen], float(row[chosen]), top))
    return out


def _routed_predictions(router, texts: list[str], complaints: list[Complaint],
                        routing_table: RoutingTable) -> list[TaskPrediction]:
    out = []
    for routed in router.route(texts, complaints, routing_table=routing_table):
        top = [LabelScore(lab, conf) for lab, conf in zip(routed.labels, routed.confidences)]
        out.append(TaskPrediction(top[0].label, top[0].confidence, top, unresolved=routed.unresolved_level))
    return out


def _without_sklearn_checks(method):
    """The fitted pipelines were validated when trained: a prediction skips scikit-learn's per-call
    parameter and finiteness checks (thread-local; a fifth of a single complaint's CPU)."""
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            return method(*args, **kwargs)
    return wrapper


class TaskNotTrained(LookupError):
    """The model bundle has no model for this task (e.g. sentiment was not in the training config)."""


class ComplaintClassifier:
    """Topic, agency and urgency for complaints, from a trained :class:`ModelBundle`."""

    def __init__(self, bundle: ModelBundle, policy: ConfidencePolicy | None = None):
        self.bundle = bundle
        # The policy `aduan train` measured (precision-based thresholds), else the configured one
        self.policy = policy or ConfidencePolicy.from_dict(bundle.metadata.get("confidence")
                                                           or bundle.metadata.get("config", {}).get("confidence"))
        self.routing_table = RoutingTable.from_dict(bundle.metadata.get("routing_table") or {})

    @property
    def version(self) -> str:
        return self.bundle.version

    @property
    def tasks(self) -> list[str]:
        return list(self.bundle.tasks)

    @_without_sklearn_checks
    def predict(self, complaints: Sequence["str | Mapping | Complaint"],
                explain: bool = False) -> list[ComplaintPrediction]:
        """Predict every field; ``explain`` adds the cue words behind each answer (slower)."""
        items = [Complaint.coerce(c) for c in complaints]
        # Each text carries its reporter's address: models with an address block read it, others ignore it.
        texts = with_addresses(self.bundle.normalizer.transform((c.text or "")[:MAX_TEXT_CHARS] for c in items), items)
        results = [ComplaintPrediction() for _ in items]
        routed_by_topic = [self._routed_by_topic(item) for item in items]
        for task in ("topic", "agency", "urgency"):
            estimator = self.bundle.tasks.get(task)
            if estimator is None:
                continue
            thresholds = self.bundle.metadata.get("tasks", {}).get(task, {}).get("label_thresholds")
            predictions = (_routed_predictions(estimator, texts, items, self.routing_table)
                           if hasattr(estimator, "route")
                           else _task_predictions(estimator, texts, thresholds=thresholds))
            if task == "urgency":
                originals = [(c.text or "")[:MAX_TEXT_CHARS] for c in items]
                for result, reasons in zip(results, urgency_reasons(estimator, originals, texts,
                                                                    [p.label for p in predictions])):
                    result.urgency_reasons = reasons
            for result, pred, text, item, by_topic in zip(results, predictions, texts, items, routed_by_topic):
                pred.level = self.policy.level(pred.confidence)
                pred.action = self.policy.action(task, pred.confidence, known_topic=by_topic and task == "agency")
                if explain:
                    pred.explanation = self._explain(estimator, text, pred.label, item.text)
                    if task == "agency" and hasattr(estimator, "route") and self.routing_table.get(item.known_topic):
                        pred.explanation.append(f"known topic: {item.known_topic}")
                setattr(result, task, pred)
        languages = self.languages(c.text for c in items)
        for result, text, item, by_topic, language in zip(results, texts, items, routed_by_topic, languages):
            self._apply_routing_table(result, item)
            result.needs_review = self._needs_review(result, text, by_topic, bool(item.known_topic))
            result.language = language
        return results

    def languages(self, texts: Iterable[str | None]) -> list[str]:
        """The language of each text (see classifier/language.py), by the model's identifier; a model
        trained before it existed uses the built-in cue words and py3langid."""
        identifier = getattr(self.bundle.normalizer, "language", None)
        if identifier is None:
            identifier = self.__dict__.setdefault("_default_language", LanguageIdentifier().fit())
        return identifier.predict((t or "")[:MAX_TEXT_CHARS] for t in texts)

    def _routed_by_topic(self, complaint: Complaint) -> bool:
        """The agency router weighs in this complaint's known topic (its own thresholds apply)."""
        return hasattr(self.bundle.tasks.get("agency"), "route") and self.routing_table.get(complaint.known_topic) is not None

    def _apply_routing_table(self, result: ComplaintPrediction, complaint: Complaint) -> None:
        """Agency from the topic when there is no agency model, or it is unsure and the topic is sure.

        A known topic counts as sure; with an agency router it was already weighed in by the router.
        """
        router = self.bundle.tasks.get("agency")
        if complaint.known_topic and hasattr(router, "route"):
            return
        if (route := self.routing_table.get(complaint.known_topic)) is not None:
            topic, topic_confidence, topic_level = complaint.known_topic, 1.0, "high"
        elif result.topic is not None and (route := self.routing_table.get(result.topic.label)) is not None:
            topic, topic_confidence, topic_level = result.topic.label, result.topic.confidence, result.topic.level
        else:
            return
        if result.agency is not None and not (result.agency.level == "low" and topic_level == "high"):
            return
        label, unresolved = route.agency, route.agency in LOCAL_LEVELS
        if unresolved and hasattr(router, "route"):
            label = router.unit_label(route.agency, router.gazetteer.locate(
                complaint.kelurahan, complaint.kecamatan, complaint.alamat, complaint.text)) or label
            unresolved = label == route.agency
        confidence = topic_confidence * route.share
        runners_up = [s for s in (result.agency.top if result.agency else []) if s.label != label]
        result.agency = TaskPrediction(label, confidence, [LabelScore(label, confidence)] + runners_up[:2],
                                       unresolved=unresolved, level=self.policy.level(confidence),
                                       action=self.policy.action("agency", confidence),
                                       explanation=[f"routing table: topic {topic}"])

    def _explain(self, estimator, normalized: str, label: str, original: str) -> list[str]:
        if hasattr(estimator, "route"):  # the router's linear model predicts levels
            estimator, label = estimator.level_model, agency_level(label)
        estimator = getattr(estimator, "estimator_", estimator)  # the pipeline inside the urgency rules
        cues = cue_tokens(estimator, normalized, label)
        return original_words(cues, original, self.bundle.normalizer.normalize)

    @_without_sklearn_checks
    def sentiment(self, texts: Sequence[str]) -> list[SentimentPrediction]:
        """Sentiment (positive / neutral / negative) of survey comments or complaints, with their language."""
        estimator = self.bundle.tasks.get("sentiment")
        if estimator is None:
            raise TaskNotTrained(f"model {self.version} has no sentiment model: add [tasks.sentiment] and retrain")
        texts = list(texts)
        normalized = self.bundle.normalizer.transform((t or "")[:MAX_TEXT_CHARS] for t in texts)
        return [SentimentPrediction(**vars(p), language=language)
                for p, language in zip(_task_predictions(estimator, normalized), self.languages(texts))]

    def _needs_review(self, result: ComplaintPrediction, normalized: str, routed_by_topic: bool = False,
                      topic_given: bool = False) -> bool:
        """Too short to judge, a local level without its unit, or a field the desk acts on likely wrong
        (the predicted topic is not acted on when the complaint arrived with its topic)."""
        if len(normalized.split()) < MIN_TOKENS:
            return True
        fields_ = {name: p for name, p in (("topic", None if topic_given else result.topic), ("agency", result.agency),
                                           ("urgency", result.urgency)) if p is not None}
        return not fields_ or any(
            p.unresolved or self.policy.needs_review(name, p.confidence, routed_by_topic and name == "agency")
            for name, p in fields_.items())


def load_model(path: str | Path) -> ComplaintClassifier:
    """Load a model directory written by `aduan train`."""
    return ComplaintClassifier(ModelBundle.load(path))
