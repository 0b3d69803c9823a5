"""aduan runtime library: text pipeline, model bundles, prediction and IKM math."""
from classifier.predict import ComplaintClassifier, ComplaintPrediction, load_model
from classifier.text import TextConfig, TextNormalizer, normalize_text, normalize_texts

__all__ = ["ComplaintClassifier", "ComplaintPrediction", "TextConfig", "TextNormalizer", "load_model",
           "normalize_text", "normalize_texts"]
