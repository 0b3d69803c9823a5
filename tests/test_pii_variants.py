"""Variants of personal data as citizens write them, and what every returned or stored text holds.

All values are invented for these tests. ``\\n`` inside a Python string below is the two
characters backslash and n, as exports hold line breaks.
"""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api_support import new_key
from classifier.explain import original_words
from classifier.model import ModelBundle
from classifier.pii import mask_pii
from classifier.text import TextConfig, TextNormalizer
from classifier.urgency import UrgencyCues, urgency_reasons
from serving.core.config import Settings
from serving.db.models import Prediction
from serving.main import create_app
from training.config import FeatureConfig, ModelConfig
from training.pipeline import build_pipeline

MASKED = [
    # NIK: plain, grouped by spaces / dots / dashes, glued to words, mistyped after a cue
    ("NIK saya 3578 0123 4567 0001 belum aktif", "NIK saya [nik] belum aktif"),
    ("nik: 3578.0123.4567.0001", "nik: [nik]"),
    ("KTP 3578-0123-4567-0001 hilang", "KTP [nik] hilang"),
    ("no ktp 357801 234567 0001", "no ktp [nik]"),
    ("35.78.01.234567.0001 milik ibu", "[nik] milik ibu"),
    ("nik3578012345670001nya tidak terbaca", "nik[nik]nya tidak terbaca"),
    ("data 3578012345670001, mohon dicek", "data [nik], mohon dicek"),
    ("NIK : 357812345678901 (kurang satu angka)", "NIK : [nik] (kurang satu angka)"),
    ("No KK 3578 1234 5678 0009 sudah diperbarui", "No KK [nik] sudah diperbarui"),
    ("nik istri 3578 5501 0190 0003", "nik istri [nik]"),
    # phones: mobile, +62, landlines with and without brackets, spaced dashes, after a literal \n
    ("hp 0812-3456-7890", "hp [telepon]"),
    ("WA 081234567890.", "WA [telepon]."),
    ("telp +62 812 3456 7890", "telp [telepon]"),
    ("(+62)812-3456-789 milik pengurus", "[telepon] milik pengurus"),
    ("+62-31-5312144", "[telepon]"),
    ("kantor kelurahan (031) 5312144", "kantor kelurahan [telepon]"),
    ("telp (031)-531 2144 jam kerja", "telp [telepon] jam kerja"),
    ("hubungi 031 5312144", "hubungi [telepon]"),
    ("0812 - 3456 - 7890 (pak RT)", "[telepon] (pak RT)"),
    ("nomor 0857.1234.5678", "nomor [telepon]"),
    ("Ketua RW\\n081234567890\\nTerima kasih", "Ketua RW\\n[telepon]\\nTerima kasih"),
    ("wa.me 62812345678901", "wa.me [telepon]"),
    # emails, also obfuscated
    ("email warga.baik@contoh.co.id", "email [email]"),
    ("kirim ke budi [at] contoh.com ya", "kirim ke [email] ya"),
    ("budi(at)contoh(dot)com", "[email]"),
    ("budi {at} contoh [dot] co [dot] id", "[email]"),
    ("tulis ke budi at gmail dot com", "tulis ke [email]"),
    ("budi @ contoh.com", "[email]"),
    ("Hormat kami\\nbudi_s@contoh.id", "Hormat kami\\n[email]"),
    # vehicle plates
    ("mobil L-5678-CD parkir di trotoar", "mobil [plat] parkir di trotoar"),
    ("motor L 5678 CD kabur", "motor [plat] kabur"),
    ("truk B1234XYZ", "truk [plat]"),
    ("nopol ag 1234 xy menghalangi jalan", "nopol [plat] menghalangi jalan"),
    ("truk W 8123 UV buang sampah", "truk [plat] buang sampah"),
    # URL and announced name after a literal \n; several kinds at once
    ("foto di https://contoh.id/a\\nmohon dicek", "foto di [url]\\nmohon dicek"),
    ("Pelapor\\nNama : Sri Wahyuni\\nAlamat : jl contoh", "Pelapor\\nNama : [nama]\\nAlamat : jl contoh"),
    ("Saya Budi, NIK 3578 0123 4567 0001, HP 0812-3456-7890",
     "Saya Budi, NIK [nik], HP [telepon]"),
]

UNCHANGED = [
    "RT 05 RW 03 kelurahan Ketintang",
    "sudah 2 hari tidak diangkut",
    "biaya Rp 50.000 per bulan",
    "anggaran Rp 62.500.000.000 untuk proyek",
    "rumah no 23 gang 5",
    "tanggal 12-03-2022 jam 08.00",
    "tahun 2019 2020 2021 2022 tetap banjir",
    "buka jam 08.00 - 21.00",
    "daftar p3k guru tahun 2022",
    "blok B 3 lt 2",
    "bantuan tahun 2021 n 2022 blm cair",
    "rapat at balai kota",
    "akun @dinas.pu di instagram",
    "K3 nya kurang",
    "no 12 rt 3",
    "total 1.500.000 rupiah",
    "dari 12 03 2022 sampai 14 03 2022",
]


@pytest.mark.parametrize("text, expected", MASKED)
def test_personal_data_variants_are_masked(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", UNCHANGED)
def test_ordinary_numbers_and_words_stay(text):
    assert mask_pii(text) == text


def test_the_table_is_large_enough():
    assert len(MASKED) + len(UNCHANGED) >= 40


# ---------------------------------------------------------------- at the source
def test_explanation_words_come_from_the_masked_text():
    normalize = TextNormalizer(TextConfig()).normalize
    original = "NIK 3578012345670001 dan 3578 0123 4567 0002 tidak terdaftar"
    words = original_words(["[nik]", "tidak terdaftar"], original, normalize)
    assert words == ["[nik]", "tidak", "terdaftar"]


def test_urgency_reasons_quote_the_masked_text():
    finder = UrgencyCues().fit()
    original = "kami takut rumah Bu Sri 0812-3456-7890 roboh"
    normalized = TextNormalizer(TextConfig()).normalize(original)
    assert urgency_reasons(finder, [original], [normalized], ["rendah"]) == [["takut rumah Bu Sri [telepon] roboh"]]


# ---------------------------------------------------------------- through the API
PII_TEXT = ("NIK saya 3578 0123 4567 0001 dan anak 3578012345670002 tidak terdaftar, kami takut rumah roboh. "
            "Hubungi 0812-3456-7890 atau (031) 5312144, email budi [at] contoh.com, Nama : Budi Santoso")
RAW_PIECES = ["3578", "0123", "4567", "0001", "0002", "0812", "7890", "5312144", "budi", "Budi", "Santoso"]

# Invented training texts: identity-card complaints mention a NIK, so "[nik]" is a cue of their topic.
TRAINING = [
    ("NIK 3578012345670011 tidak terdaftar di dukcapil", "Kependudukan", "rendah"),
    ("data NIK 3578 0123 4567 0012 berbeda dengan KK", "Kependudukan", "rendah"),
    ("KTP dengan nik 3578.0123.4567.0013 belum jadi", "Kependudukan", "sedang"),
    ("nik anak 3578012345670014 tidak muncul saat daftar sekolah", "Kependudukan", "sedang"),
    ("mohon NIK 3578-0123-4567-0015 diaktifkan kembali", "Kependudukan", "rendah"),
    ("NIK saya 3578012345670016 dipakai orang lain", "Kependudukan", "tinggi"),
    ("jalan berlubang besar di depan pasar", "Jalan Rusak", "sedang"),
    ("aspal jalan rusak parah motor jatuh", "Jalan Rusak", "tinggi"),
    ("jalan kampung retak dan bergelombang", "Jalan Rusak", "rendah"),
    ("lubang jalan tergenang air saat hujan", "Jalan Rusak", "sedang"),
    ("jalan amblas dekat jembatan, takut roboh", "Jalan Rusak", "tinggi"),
    ("paving jalan gang lepas lepas", "Jalan Rusak", "rendah"),
]


@pytest.fixture
def pii_app(tmp_path):
    normalizer = TextNormalizer(TextConfig())
    texts = normalizer.transform([t for t, _, _ in TRAINING])
    features = FeatureConfig(word_ngrams=(1, 2), char_ngrams=None, min_df=1, urgency_cues=True)
    model = ModelConfig(kind="logreg", C=10.0)
    tasks = {"topic": build_pipeline(features, model, seed=3).fit(texts, [t for _, t, _ in TRAINING]),
             "urgency": build_pipeline(features, model, seed=3).fit(texts, [u for _, _, u in TRAINING])}
    metadata = {"version": "pii-1", "created_at": "2024-01-01T00:00:00+00:00", "review_threshold": 0.3,
                "tasks": {name: {"labels": list(est.classes_)} for name, est in tasks.items()}}
    ModelBundle(normalizer, tasks, metadata).save(tmp_path / "models" / "pii-1")
    return create_app(Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", models_dir=tmp_path / "models"))


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def test_classify_with_explain_returns_and_stores_nothing_unmasked(pii_app):
    with TestClient(pii_app) as client:
        headers = {"X-API-Key": new_key(pii_app, "desk")}
        answer = client.post("/v1/complaints/classify", headers=headers, json={"text": PII_TEXT, "explain": True})
    assert answer.status_code == 200
    body = answer.json()
    assert body["topic"]["label"] == "Kependudukan" and "[nik]" in body["topic"]["explanation"]
    returned = strings_in({k: v for k, v in body.items() if k not in {"prediction_id", "model_version"}})
    with pii_app.state.sessions() as session:
        stored = session.get(Prediction, body["prediction_id"])
    kept = [stored.text, json.dumps(stored.outputs)]
    for piece in RAW_PIECES:
        assert not any(piece in s for s in returned), f"{piece!r} returned unmasked"
        assert not any(piece in s for s in kept), f"{piece!r} stored unmasked"
    assert "[nik]" in stored.text and "[telepon]" in stored.text and "[email]" in stored.text
