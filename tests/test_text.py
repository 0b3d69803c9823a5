"""The text normalizer, on sentences written for these tests."""
from pathlib import Path

import pytest

from classifier.lexicons import CANONICAL_OVERRIDES, INTENSIFIERS, NEGATORS, load_slang_lexicon, load_stopwords
from classifier.text import TextConfig, TextNormalizer, normalize_text, normalize_texts

FIXTURE_DATA = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"


@pytest.fixture(scope="module")
def normalizer():
    return TextNormalizer(slang=load_slang_lexicon(FIXTURE_DATA), stopwords=load_stopwords(FIXTURE_DATA))


def test_negators_share_one_canonical_form(normalizer):
    for variant in ("gak", "ga", "nggak", "enggak", "tdk", "ngga"):
        assert normalizer.normalize(f"pelayanannya {variant} jelas") == "pelayanannya tidak jelas"


def test_overrides_beat_the_lexicons(normalizer):
    # the fixture kamus_alay says gak → enggak and kel → keluarga; the overrides say tidak / kelurahan
    assert normalizer.normalize("gak ada petugas di kel ujung") == "tidak ada petugas di kelurahan ujung"


def test_lexicon_entries_are_applied(normalizer):
    assert normalizer.normalize("plis bikin jalan baru") == "tolong membuat jalan baru"


def test_repeated_letters_are_squeezed(normalizer):
    assert normalizer.normalize("lambat bangeeeet") == "lambat banget"
    assert normalizer.normalize("Maaaaf") == "maf" or normalizer.normalize("Maaaaf") == "maaf"


def test_squeeze_prefers_a_known_double_letter():
    known = TextNormalizer(slang={"mantaap": "mantap", "maaf": "maaf"})  # "maaf" known, "maf" not
    assert known.normalize("maaaaaf") == "maaf"


def test_glued_numbers_and_reduplication_are_split(normalizer):
    assert normalizer.normalize("sudah 2hari anak2 tidak sekolah") == "sudah 2 hari anak anak tidak sekolah"
    assert normalizer.normalize("rt05 rw3") == "rt 05 rw 3"


def test_mojibake_is_repaired_and_emoji_become_tokens(normalizer):
    assert normalizer.normalize("CafÃ© dekat kantor") == "café dekat kantor"
    assert "emoji_enraged_face" in normalizer.normalize("petugasnya judes 😡").split()
    # an emoji whose bytes were cut by a cp1252 round trip becomes one token instead of garbage
    assert normalizer.normalize("terima kasih ðŸ™") == "terima kasih emoji_unknown"


def test_literal_newlines_from_exports_are_spaces(normalizer):
    assert normalizer.normalize("jalan rusak\\nmohon diperbaiki") == "jalan rusak mohon diperbaiki"


def test_personal_data_is_masked_before_anything_else(normalizer):
    out = normalizer.normalize("hub 0812-3456-7890 atau budi@contoh.id, NIK 3578012345678901, motor L 1234 AB")
    assert "[telepon]" in out and "[email]" in out and "[nik]" in out and "[plat]" in out
    assert "0812" not in out and "budi" not in out and "1234" not in out


def test_stopwords_never_drop_negators_or_intensifiers():
    stopwords = load_stopwords(FIXTURE_DATA)
    assert "yang" in stopwords and not (stopwords & (NEGATORS | INTENSIFIERS))
    norm = TextNormalizer(TextConfig(remove_stopwords=True), slang=CANONICAL_OVERRIDES, stopwords=stopwords)
    assert norm.normalize("pelayanan yang sangat tidak ramah di sini") == "pelayanan sangat tidak ramah sini"


def test_stemming_uses_sastrawi_and_keeps_placeholders():
    norm = TextNormalizer(TextConfig(stem=True))
    assert norm.normalize("perbaikan jalanan 081234567890") == "baik jalan [telepon]"


def test_each_step_can_be_switched_off():
    raw = "Gak JELAS bangeeet"
    assert TextNormalizer(TextConfig(lowercase=False, normalize_slang=False, squeeze_repeats=False),
                          slang=CANONICAL_OVERRIDES).normalize(raw) == "Gak JELAS bangeeet"


def test_batch_form_matches_single_form(normalizer):
    texts = ["gak jelas", "", None, "lampu  mati!!"]
    assert normalize_texts(texts, normalizer) == [normalize_text(t, normalizer) for t in texts]
    assert normalize_text(None, normalizer) == ""


def test_text_config_rejects_unknown_and_non_boolean_options():
    with pytest.raises(ValueError, match="unknown option"):
        TextConfig.from_dict({"lowercas": True})
    with pytest.raises(ValueError, match="text.stem"):
        TextConfig.from_dict({"stem": "yes"})
