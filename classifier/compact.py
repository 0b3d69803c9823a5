"""Prediction-only forms of fitted scikit-learn models, with the same outputs and less overhead.

A desk sends one complaint at a time, so per-call overhead matters more than per-row cost:
- CalibratedClassifierCV calls one calibrator object per class; with ~100 classes that dominated
  a single-complaint request. ``SigmoidCalibratedLinear`` keeps the same numbers (coefficients,
  intercepts, each class's sigmoid a, b) in arrays and applies them in one step.
- FeatureUnion runs its parts through joblib even when sequential, and TfidfVectorizer re-validates
  the count matrix it has just built; ``StackedFeatures`` calls the parts in turn, applies the
  fitted TF-IDF weights directly, and stacks the result.
``compact_for_prediction`` swaps both into a fitted pipeline after training.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2
from sklearn.pipeline import FeatureUnion, Pipeline


class SigmoidCalibratedLinear(BaseEstimator, ClassifierMixin):
    """Probabilities ``expit(-(a * decision + b))`` per class, normalized as scikit-learn does."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, a: np.ndarray, b: np.ndarray,
                 classes: np.ndarray):
        self.coef = coef
        self.intercept = intercept
        self.a = a
        self.b = b
        self.classes = classes

    @property
    def classes_(self) -> np.ndarray:
        return self.classes

    @property
    def coef_(self) -> np.ndarray:  # read by classifier.explain
        return self.coef

    @classmethod
    def compact(cls, model):
        """The compact form of a fitted sigmoid CalibratedClassifierCV(ensemble=False); else ``model``."""
        if not isinstance(model, CalibratedClassifierCV) or len(model.calibrated_classifiers_) != 1:
            return model
        calibrated = model.calibrated_classifiers_[0]
        linear = calibrated.estimator
        calibrators = calibrated.calibrators
        if not hasattr(linear, "coef_") or not all(hasattr(c, "a_") and hasattr(c, "b_") for c in calibrators):
            return model
        if list(linear.classes_) != list(model.classes_):
            return model
        a = np.array([c.a_ for c in calibrators], dtype=np.float64)
        b = np.array([c.b_ for c in calibrators], dtype=np.float64)
        return cls(np.asarray(linear.coef_), np.asarray(linear.intercept_), a, b, np.asarray(model.classes_))

    def __sklearn_is_fitted__(self) -> bool:
        return True  # built from a fitted model

    def fit(self, X, y=None):
        raise NotImplementedError("SigmoidCalibratedLinear is built from a fitted model with compact()")

    def decision_function(self, X) -> np.ndarray:
        return np.asarray(X @ self.coef.T) + self.intercept

    def predict_proba(self, X) -> np.ndarray:
        scores = expit(-(self.decision_function(X) * self.a + self.b))
        if len(self.classes) == 2:
            return np.column_stack([1.0 - scores[:, 0], scores[:, 0]])
        total = scores.sum(axis=1, keepdims=True)
        uniform = np.full_like(scores, 1.0 / len(self.classes))
        return np.divide(scores, total, out=uniform, where=total != 0)

    def predict(self, X) -> np.ndarray:
        return self.classes[self.predict_proba(X).argmax(axis=1)]


class StackedFeatures(BaseEstimator, TransformerMixin):
    """The parts of a fitted FeatureUnion (same ``transformer_list``), stacked side by side."""

    def __init__(self, transformer_list: list):
        self.transformer_list = transformer_list

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def fit(self, X, y=None):
        raise NotImplementedError("StackedFeatures is built from a fitted FeatureUnion")

    def transform(self, X) -> sp.csr_matrix:
        X = list(X)
        return sp.hstack([_tfidf(part, X) if type(part) is TfidfVectorizer else part.transform(X)
                          for _, part in self.transformer_list], format="csr")

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.concatenate([[f"{name}__{f}" for f in part.get_feature_names_out()]
                               for name, part in self.transformer_list])


def _tfidf(vectorizer: TfidfVectorizer, docs: list[str]) -> sp.csr_matrix:
    """``vectorizer.transform(docs)``: the same sublinear tf, idf and l2 steps, without re-validation."""
    counts = CountVectorizer.transform(vectorizer, docs).astype(vectorizer.dtype)
    if vectorizer.sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1
    if vectorizer.use_idf:
        counts.data *= vectorizer.idf_[counts.indices]
    if vectorizer.norm == "l2" and counts.dtype.kind == "f":  # what normalize() runs, without its validation
        inplace_csr_row_normalize_l2(counts)
    elif vectorizer.norm is not None:
        counts = normalize(counts, norm=vectorizer.norm, copy=False)
    return counts


def compact_for_prediction(estimator):
    """Swap compact forms into a fitted pipeline (also one wrapped in ``estimator_``); returns it."""
    pipeline = getattr(estimator, "estimator_", estimator)
    if isinstance(pipeline, Pipeline):
        for index, (name, step) in enumerate(pipeline.steps):
            if isinstance(step, FeatureUnion) and not step.transformer_weights:
                pipeline.steps[index] = (name, StackedFeatures(step.transformer_list))
            elif isinstance(step, CalibratedClassifierCV):
                pipeline.steps[index] = (name, SigmoidCalibratedLinear.compact(step))
    return estimator
