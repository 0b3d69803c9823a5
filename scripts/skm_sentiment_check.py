"""Sentiment of 20 typical SKM comment phrasings (written for this check, not taken from any data set)
under a trained model, and whether the IKM themes count each as a complaint regardless
(classifier/themes.py, Theme.complaint). README, IKM reports.

    python scripts/skm_sentiment_check.py MODEL_DIR
"""
from __future__ import annotations

import sys

from classifier.predict import load_model
from classifier.themes import complaint_cues

PHRASINGS = (
    "Pelayanan sudah baik, pertahankan",
    "Petugas ramah dan sigap membantu",
    "Prosesnya cepat, tidak sampai satu jam",
    "Terima kasih, sangat memuaskan",
    "Antrian terlalu lama",
    "Petugas kurang ramah",
    "Toilet kotor dan tidak ada air",
    "Ruang tunggu sempit dan panas",
    "Persyaratan terlalu banyak dan berbelit",
    "Informasi persyaratan kurang jelas",
    "Ada pungutan di luar biaya resmi",
    "Diminta uang rokok oleh oknum petugas",
    "Masih ada calo di depan kantor",
    "Biaya tidak sesuai dengan tarif yang dipasang",
    "Pengaduan saya belum ditanggapi",
    "Tidak ada pungli, pelayanan gratis",
    "Sistem online sering error",
    "Jam buka tidak tepat waktu, petugas datang terlambat",
    "Tidak ada saran",
    "Semoga pelayanan ke depan lebih baik lagi",
)


def main(model_dir: str) -> None:
    model = load_model(model_dir)
    print(f"model {model.version}")
    for text, prediction in zip(PHRASINGS, model.sentiment(list(PHRASINGS))):
        cues = [phrase for phrases in complaint_cues(text).values() for phrase in phrases]
        print(f"{prediction.label:8s} {prediction.confidence:.2f}  {', '.join(cues) or '-':18s} {text}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/skm_sentiment_check.py MODEL_DIR")
    main(sys.argv[1])
