"""Precision-based confidence thresholds: measured on one split, applied as a policy."""
import numpy as np
import pytest

from classifier.confidence import ConfidencePolicy, FieldAutomation
from training.automation import answers, at_threshold, automation_metrics, calibrate, threshold_for


def test_threshold_is_the_lowest_confidence_whose_answers_reach_the_precision():
    confidence = np.array([0.99, 0.95, 0.9, 0.9, 0.8, 0.7, 0.6, 0.5])
    correct = np.array([True, True, True, True, True, False, True, False])
    assert threshold_for(confidence, correct, 0.99, min_rows=1) == 0.8  # the first five are all right
    assert threshold_for(confidence, correct, 0.85, min_rows=1) == 0.6  # 6 of 7
    assert threshold_for(confidence, correct, 0.85, min_rows=8) is None  # all 8: 6 right
    coverage, precision = at_threshold(confidence, correct, 0.6)
    assert coverage == pytest.approx(7 / 8) and precision == pytest.approx(6 / 7)


def test_a_threshold_takes_every_tie():
    # 0.9 twice, one right and one wrong: a threshold cannot take only the right one
    confidence = np.array([0.95, 0.9, 0.9])
    correct = np.array([True, True, False])
    assert threshold_for(confidence, correct, 0.99, min_rows=1) == 0.95


def test_answers_follow_the_label_thresholds():
    proba = np.array([[0.6, 0.4], [0.2, 0.8]])
    confidence, correct = answers(["a", "a"], proba, ["a", "b"], {"b": 0.3})
    assert confidence.tolist() == [0.4, 0.8] and correct.tolist() == [False, False]


def test_calibrate_stores_the_measured_thresholds_in_the_policy():
    policy = ConfidencePolicy(automation={"agency": FieldAutomation("auto", 0.6, 0.9, precision=0.9),
                                          "topic": FieldAutomation("suggest", 0.5, 0.9),
                                          "urgency": FieldAutomation("recommend")})
    rng = np.random.default_rng(0)
    confidence = rng.uniform(size=400)
    correct = rng.uniform(size=400) < confidence  # right about as often as confident
    known = (np.full(400, 0.97), np.ones(400, dtype=bool))
    measured = calibrate(policy, {"agency": (confidence, correct), "agency_known_topic": known}, "inner split")
    agency = measured.automation_of("agency")
    assert agency.auto_at == threshold_for(confidence, correct, 0.9)
    assert agency.auto_at_known_topic == 0.97 and agency.suggest_at <= agency.auto_at
    assert measured.automation_of("topic") == policy.automation_of("topic")  # no target: unchanged
    assert measured.calibrated_on == "inner split"
    assert ConfidencePolicy.from_dict(measured.to_dict()) == measured
    # unreachable: nothing is automatic, everything is reviewed
    never = calibrate(policy, {"agency": (confidence, np.zeros(400, dtype=bool))}, "x").automation_of("agency")
    assert never.auto_at == 1.0 and never.needs_review(0.99, "high")


def test_review_and_action_per_mode():
    field = FieldAutomation("auto", 0.6, 0.8, precision=0.95, auto_at_known_topic=0.3)
    assert field.action(0.85) == "auto" and field.action(0.7) == "suggest" and field.action(0.5) == "recommend"
    assert field.action(0.4, known_topic=True) == "auto"
    assert field.needs_review(0.7, "medium") and not field.needs_review(0.4, "low", known_topic=True)
    plain = FieldAutomation("suggest", 0.5, 0.9)  # no precision target: a low level needs review
    assert plain.needs_review(0.3, "low") and not plain.needs_review(0.6, "medium")
    assert not FieldAutomation("recommend", precision=0.9).needs_review(0.01, "low")
    with pytest.raises(ValueError, match="precision"):
        FieldAutomation(precision=1.5)


def test_automation_metrics_apply_the_inner_threshold_to_the_reported_split():
    policy = ConfidencePolicy(automation={"agency": FieldAutomation("auto", precision=0.95)})
    inner = {"agency": (np.linspace(1, 0, 100), np.arange(100) < 60)}  # the 60 most confident are right
    reported = {"agency": (np.linspace(1, 0, 50), np.arange(50) < 20)}
    rows = automation_metrics(policy, inner, reported)["agency"]["rows"]
    configured = next(r for r in rows if r["configured"])
    assert configured["threshold_inner"] == pytest.approx(np.linspace(1, 0, 100)[62], abs=0.02)
    assert configured["coverage"] == pytest.approx(np.mean(np.linspace(1, 0, 50) >= configured["threshold_inner"]))
    assert {r["precision_target"] for r in rows} == {0.9, 0.95, 0.98}
