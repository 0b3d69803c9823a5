"""Build the scikit-learn estimator of a task from its config."""
from __future__ import annotations

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from classifier.address import AddressBlock
from classifier.sentiment_features import NegationScope, NoOpinionNeutral
from classifier.softmax_linear import SoftmaxLinearSVC
from classifier.urgency import CueRuleClassifier, UrgencyCues
from training.config import FeatureConfig, ModelConfig

# Normalized text is already tokenized: tokens are separated by single spaces.
TOKEN_PATTERN = r"\S+"


def build_features(cfg: FeatureConfig) -> FeatureUnion:
    parts = [("word", TfidfVectorizer(token_pattern=TOKEN_PATTERN, lowercase=False, ngram_range=cfg.word_ngrams,
                                      min_df=cfg.min_df, max_features=cfg.max_features,
                                      sublinear_tf=cfg.sublinear_tf, dtype=np.float32,
                                      preprocessor=NegationScope(cfg.negation_scope) if cfg.negation_scope else None))]
    if cfg.char_ngrams:
        parts.append(("char", TfidfVectorizer(analyzer="char_wb", lowercase=False, ngram_range=cfg.char_ngrams,
                                              min_df=cfg.min_df, max_features=cfg.max_features,
                                              sublinear_tf=cfg.sublinear_tf, dtype=np.float32)))
    if cfg.urgency_cues:
        parts.append(("urgency_cues", UrgencyCues()))
    if cfg.address_block:
        parts.append(("address", AddressBlock(min_df=cfg.min_df, sublinear_tf=cfg.sublinear_tf)))
    return FeatureUnion(parts)


def build_classifier(cfg: ModelConfig, seed: int):
    if cfg.kind == "logreg":
        return LogisticRegression(C=cfg.C, class_weight=cfg.class_weight, max_iter=2000, random_state=seed)
    if cfg.calibration == "none":
        return SoftmaxLinearSVC(C=cfg.C, class_weight=cfg.class_weight, random_state=seed)
    svc = LinearSVC(C=cfg.C, class_weight=cfg.class_weight, random_state=seed)
    return CalibratedClassifierCV(svc, method=cfg.calibration, cv=cfg.calibration_folds, ensemble=False)


def build_pipeline(features: FeatureConfig, model: ModelConfig, seed: int) -> Pipeline | CueRuleClassifier:
    """TF-IDF features → calibrated linear classifier, over already-normalized text.

    With ``model.cue_rules`` the pipeline is wrapped so that its probabilities follow the urgency
    guideline's tie-breakers (see :class:`classifier.urgency.CueRuleClassifier`); with
    ``model.no_opinion_neutral``, comments that say nothing are neutral (:class:`NoOpinionNeutral`).
    """
    pipeline = Pipeline([("features", build_features(features)), ("classifier", build_classifier(model, seed))])
    if model.no_opinion_neutral:
        pipeline = NoOpinionNeutral(pipeline)
    return CueRuleClassifier(pipeline) if model.cue_rules else pipeline
