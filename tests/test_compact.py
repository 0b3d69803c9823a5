"""The compact calibrated model gives scikit-learn's probabilities."""
import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.svm import LinearSVC

from classifier.compact import SigmoidCalibratedLinear, StackedFeatures, compact_for_prediction


@pytest.mark.parametrize("n_classes", [2, 3, 6])
def test_same_probabilities_as_calibrated_classifier_cv(n_classes):
    X, y = make_classification(400, 20, n_informative=10, n_classes=n_classes, random_state=0)
    labels = np.array([f"label {i}" for i in y])
    model = CalibratedClassifierCV(LinearSVC(random_state=0), cv=3, ensemble=False).fit(X, labels)
    compact = SigmoidCalibratedLinear.compact(model)
    assert isinstance(compact, SigmoidCalibratedLinear)
    np.testing.assert_allclose(compact.predict_proba(X), model.predict_proba(X), atol=1e-12)
    assert list(compact.classes_) == list(model.classes_)
    assert (compact.predict(X) == model.predict(X)).all()


def test_models_it_cannot_compact_are_returned_unchanged():
    X, y = make_classification(200, 10, random_state=0)
    isotonic = CalibratedClassifierCV(LinearSVC(), method="isotonic", cv=3, ensemble=False).fit(X, y)
    assert SigmoidCalibratedLinear.compact(isotonic) is isotonic
    ensemble = CalibratedClassifierCV(LinearSVC(), cv=3).fit(X, y)
    assert SigmoidCalibratedLinear.compact(ensemble) is ensemble


def test_compact_model_works_inside_a_pipeline():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = make_classification(200, 10, n_classes=3, n_informative=5, random_state=0)
    pipe = make_pipeline(StandardScaler(), CalibratedClassifierCV(LinearSVC(), cv=3, ensemble=False)).fit(X, y)
    expected = pipe.predict_proba(X)
    pipe.steps[-1] = (pipe.steps[-1][0], SigmoidCalibratedLinear.compact(pipe.steps[-1][1]))
    np.testing.assert_allclose(pipe.predict_proba(X), expected, atol=1e-12)


def test_compacted_text_pipeline_predicts_the_same():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline

    texts = ["lampu jalan mati", "jalan berlubang", "sampah menumpuk", "lampu taman padam",
             "aspal jalan rusak", "sampah tidak diangkut"] * 4
    labels = ["pju", "jalan", "sampah", "pju", "jalan", "sampah"] * 4
    union = FeatureUnion([("word", TfidfVectorizer()), ("char", TfidfVectorizer(analyzer="char_wb"))])
    pipe = Pipeline([("features", union),
                     ("classifier", CalibratedClassifierCV(LinearSVC(), cv=2, ensemble=False))]).fit(texts, labels)
    expected = pipe.predict_proba(texts)
    names = pipe.named_steps["features"].get_feature_names_out()
    compact_for_prediction(pipe)
    assert isinstance(pipe.named_steps["features"], StackedFeatures)
    assert isinstance(pipe.named_steps["classifier"], SigmoidCalibratedLinear)
    np.testing.assert_allclose(pipe.predict_proba(texts), expected, atol=1e-12)
    assert list(pipe.named_steps["features"].get_feature_names_out()) == list(names)


@pytest.mark.parametrize("options", [{}, {"sublinear_tf": True, "ngram_range": (1, 2)},
                                     {"analyzer": "char_wb", "ngram_range": (2, 4), "dtype": np.float32}])
def test_lean_tfidf_matches_the_vectorizer(options):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from classifier.compact import _tfidf

    train = ["lampu jalan mati total", "jalan berlubang dalam", "sampah menumpuk di jalan", "lampu taman"]
    vectorizer = TfidfVectorizer(**options).fit(train)
    docs = ["lampu jalan", "kata baru saja", "", "sampah sampah sampah jalan"]
    expected = vectorizer.transform(docs)
    got = _tfidf(vectorizer, docs)
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got.toarray(), expected.toarray(), rtol=1e-6)
