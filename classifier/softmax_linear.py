"""A linear SVM whose probabilities are the softmax of its decision scores, without calibration folds.

``calibration = "none"`` in a task's model config: faster to train (one fit instead of one per
calibration fold), same decisions as the SVM itself, but its confidences are not calibrated: keep it
for comparisons (the ablation table of report.md), not for thresholds a desk relies on.
"""
from __future__ import annotations

import numpy as np
from scipy.special import softmax
from sklearn.svm import LinearSVC


class SoftmaxLinearSVC(LinearSVC):
    def predict_proba(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        if scores.ndim == 1:  # two classes: one score, for the second class
            scores = np.column_stack([-scores, scores]) / 2
        return softmax(scores, axis=1)
