"""A linear classifier with per-class sigmoid calibration, compacted for fast prediction.

scikit-learn's CalibratedClassifierCV calls one calibrator object per class at prediction time;
with ~100 classes that overhead dominates a single-complaint request. After training, the same
numbers (coefficients, intercepts and each class's sigmoid a, b) are kept in arrays and applied
in one step, giving the same probabilities.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV


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
