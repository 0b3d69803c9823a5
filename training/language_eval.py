"""Measure language identification and regional normalization (README, Languages).

    python -m training.language_eval [--data-dir DIR]

1. Language identification (:mod:`classifier.language`, fitted on the parallel corpus train split
   only): accuracy per language on the NusaX parallel corpus valid split, and on the 200 hand-labeled
   2022 Surabaya complaints of ``datasets/language/labels_surabaya_2022.csv`` (ids and labels only,
   labeled by ``datasets/language/GUIDELINES.md``): share of mixed complaints found vs labeled, and
   precision / recall of ``mixed``.
2. Normalization into Indonesian (``[text] normalize_regional``): on the valid split, the share of
   regional tokens mapped to Indonesian, and the mean TF-IDF cosine between each regional sentence
   and its Indonesian original, both normalized by the default pipeline without and with the step.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.language import CORPUS_COLUMNS, LanguageIdentifier, languages_of, load_language_identifier
from classifier.lexicons import load_slang_lexicon, load_stopwords
from classifier.text import TextConfig, TextNormalizer
from training.data_dir import resolve_data_dir
from training.readers import read_table

ROOT = Path(__file__).resolve().parent.parent
HAND_LABELS = ROOT / "datasets" / "language" / "labels_surabaya_2022.csv"
COMPLAINTS = Path("complaints/surabaya/keluhan_2022.csv")
PARALLEL_VALID = Path("regional/mt/valid.csv")
REPORTED = ("id", "jv", "mad", "su", "en")


def corpus_accuracy(identifier: LanguageIdentifier, corpus: pd.DataFrame) -> list[dict]:
    """Per language: exact label accuracy, main-language accuracy and the most frequent answers."""
    rows = []
    for lang in REPORTED:
        predicted = identifier.predict(corpus[CORPUS_COLUMNS[lang]].astype(str))
        rows.append({"language": lang, "n": len(predicted),
                     "accuracy": np.mean([p == lang for p in predicted]),
                     "main_accuracy": np.mean([languages_of(p)[0] == lang for p in predicted]),
                     "answers": Counter(predicted).most_common(4)})
    return rows


def hand_label_figures(identifier: LanguageIdentifier, data_dir: Path) -> dict:
    """Mixed vs not on the hand-labeled complaints: shares, precision, recall, exact label agreement."""
    labels = read_table(HAND_LABELS)
    complaints = read_table(data_dir / COMPLAINTS)[["id", "keluhan"]].drop_duplicates("id")
    joined = labels.merge(complaints, on="id", how="left")
    missing = int(joined["keluhan"].isna().sum())
    if missing:
        raise SystemExit(f"{HAND_LABELS.name}: {missing} id(s) not found in {COMPLAINTS}")
    predicted = identifier.predict(joined["keluhan"].tolist())
    truth_mixed = (joined["language"] == "mixed").to_numpy()
    found_mixed = np.array([p.startswith("mixed:") for p in predicted])
    true_positive = int((truth_mixed & found_mixed).sum())
    # Exact agreement: "mixed" with the same languages in the same order, or the same single language.
    truth_labels = [lab if lab != "mixed" else "mixed:" + langs for lab, langs in zip(joined["language"], joined["languages"])]
    return {"n": len(joined), "labeled_mixed": int(truth_mixed.sum()), "found_mixed": int(found_mixed.sum()),
            "precision": true_positive / max(1, int(found_mixed.sum())),
            "recall": true_positive / max(1, int(truth_mixed.sum())),
            "exact": float(np.mean([p == t for p, t in zip(predicted, truth_labels)])),
            "answers": Counter(predicted).most_common(6)}


def normalizers(data_dir: Path, identifier: LanguageIdentifier) -> tuple[TextNormalizer, TextNormalizer]:
    """The default text pipeline without and with the regional step (same lexicons otherwise)."""
    slang, stopwords = load_slang_lexicon(data_dir), load_stopwords(data_dir)
    base = TextConfig()
    return (TextNormalizer(replace(base, normalize_regional=False), slang=slang, stopwords=stopwords),
            TextNormalizer(replace(base, normalize_regional=True), slang=slang, stopwords=stopwords,
                           language=identifier))


def normalization_figures(plain: TextNormalizer, regional: TextNormalizer, train: pd.DataFrame,
                          valid: pd.DataFrame) -> list[dict]:
    """Per regional language: share of its non-Indonesian tokens that the step mapped, and the mean
    TF-IDF cosine to the Indonesian original before and after (TF-IDF fitted on the train split's
    Indonesian sentences, normalized like the text it compares)."""
    indonesian = regional.language.lexicon_.indonesian
    rows = []
    for lang in ("jv", "mad", "su", "en"):
        column = CORPUS_COLUMNS[lang]
        cosines = {}
        for name, normalizer in (("before", plain), ("after", regional)):
            vectorizer = TfidfVectorizer(token_pattern=r"\S+", sublinear_tf=True)
            vectorizer.fit(normalizer.transform(train["indonesian"].astype(str)))
            originals = vectorizer.transform(normalizer.transform(valid["indonesian"].astype(str)))
            regional_texts = vectorizer.transform(normalizer.transform(valid[column].astype(str)))
            cosines[name] = float(np.mean(np.asarray(originals.multiply(regional_texts).sum(axis=1)).ravel()))
        before = [t.split() for t in plain.transform(valid[column].astype(str))]
        after = [set(t.split()) for t in regional.transform(valid[column].astype(str))]
        # A regional token: one that is not Indonesian. Mapped: it is gone from the normalized text.
        regional_tokens = [(tok, out) for toks, out in zip(before, after) for tok in toks
                           if tok.isalpha() and tok not in indonesian]
        mapped = sum(tok not in out for tok, out in regional_tokens)
        rows.append({"language": lang, "regional_tokens": len(regional_tokens),
                     "mapped": mapped / max(1, len(regional_tokens)),
                     "cosine_before": cosines["before"], "cosine_after": cosines["after"]})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="data directory (else $ADUAN_DATA_DIR, else ../shared/datasets)")
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    identifier = load_language_identifier(data_dir)
    valid = read_table(data_dir / PARALLEL_VALID)
    print(f"## Language identification: parallel corpus valid split ({len(valid)} sentences per language)\n")
    print("| language | accuracy (exact label) | main language right | most frequent answers |")
    print("|---|---|---|---|")
    for row in corpus_accuracy(identifier, valid):
        answers = ", ".join(f"{label} {n}" for label, n in row["answers"])
        print(f"| {row['language']} | {row['accuracy']:.3f} | {row['main_accuracy']:.3f} | {answers} |")
    hand = hand_label_figures(identifier, data_dir)
    print(f"\n## Language identification: {hand['n']} hand-labeled 2022 Surabaya complaints\n")
    print(f"labeled mixed {hand['labeled_mixed']} ({hand['labeled_mixed'] / hand['n']:.1%}), found mixed "
          f"{hand['found_mixed']} ({hand['found_mixed'] / hand['n']:.1%}); precision of `mixed` "
          f"{hand['precision']:.3f}, recall {hand['recall']:.3f}; exact label {hand['exact']:.3f}; answers: "
          + ", ".join(f"{label} {n}" for label, n in hand["answers"]))
    train = read_table(data_dir / "regional/mt/train.csv")
    plain, regional = normalizers(data_dir, identifier)
    print("\n## Normalization into Indonesian: parallel corpus valid split\n")
    print("| language | regional tokens | mapped to Indonesian | TF-IDF cosine to the Indonesian original, before | after |")
    print("|---|---|---|---|---|")
    for row in normalization_figures(plain, regional, train, valid):
        print(f"| {row['language']} | {row['regional_tokens']} | {row['mapped']:.1%} | {row['cosine_before']:.3f} | "
              f"{row['cosine_after']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
