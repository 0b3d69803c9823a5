"""Language identification, the regional lexicon and the normalize_regional text step.

Every sentence here is invented for the tests; the lexicon fixtures under
datasets/fixtures/regional/ are a few hand-written word pairs.
"""
from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import pytest

from classifier.language import LanguageIdentifier, languages_of, load_language_identifier, main_language
from classifier.model import ModelBundle
from classifier.regional_lexicon import build_lexicon, fold, load_regional_lexicon
from classifier.text import TextConfig, TextNormalizer

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return load_language_identifier(FIXTURES)


@pytest.mark.parametrize("text, expected", [
    ("Lampu penerangan jalan di gang kami mati sejak kemarin malam, mohon segera diperbaiki", "id"),
    ("Aku wis ngenteni suwe banget nang kantor kelurahan, nanging petugase ora onok", "jv"),
    ("Abdi tos ngantosan lami pisan, tapi petugasna teu acan sumping ayeuna", "su"),
    ("Engkok la ngantos abit e kennengngan jareya, bariya kalaban dhika", "mad"),
    ("The officer at the front desk was friendly and the queue moved quickly today", "en"),
])
def test_each_language_is_identified(identifier, text, expected):
    assert identifier.identify(text).label == expected


def test_indonesian_with_javanese_courtesy_words_is_mixed(identifier):
    result = identifier.identify("Mohon dibantu, saluran air depan rumah kami mampet sudah seminggu. Matur nuwun nggih")
    assert result.label == "mixed:id+jv"
    assert result.main == "id" and result.mixed and result.languages == ("id", "jv")


def test_an_english_phrase_mixes_but_a_loanword_does_not(identifier):
    assert identifier.identify("Aplikasi online untuk antrean tidak bisa dibuka sejak pagi").label == "id"
    assert identifier.identify("Pipa di depan rumah bocor lagi, tolong segera dicek ya, thank you").label == \
        "mixed:id+en"


def test_names_and_single_ambiguous_words_are_no_evidence(identifier):
    # "Wetan" and "Kidul" are capitalised place names here; one lexicon word ("reged") is not enough,
    # one cue word of the guideline ("arek") is.
    assert identifier.identify("Jalan di Sawah Wetan dan Kali Kidul berlubang, tolong diperbaiki").label == "id"
    assert identifier.identify("Kamar mandi di puskesmas reged sekali, mohon dibersihkan").label == "id"
    assert identifier.identify("Pendaftaran sekolah untuk arek saya belum diproses").label == "mixed:id+jv"


def test_empty_or_wordless_text_gets_the_fallback():
    identifier = LanguageIdentifier(fallback="id")
    assert identifier.predict(["", "   ", "12345 !!", None]) == ["id"] * 4


def test_label_helpers():
    assert main_language("mixed:id+jv+en") == "id" and languages_of("mixed:id+jv+en") == ("id", "jv", "en")
    assert main_language("su") == "su" and languages_of("su") == ("su",)


def test_a_lexicon_word_that_is_also_indonesian_is_no_evidence_and_never_translated():
    lexicon = build_lexicon({"jv": [("apik", "bagus"), ("rusak", "rusak"), ("jalan", "dalan")]},
                            indonesian={"jalan", "bagus", "rusak"})
    assert "apik" in lexicon.evidence("jv")
    assert "jalan" not in lexicon.evidence("jv")  # Indonesian: stays as it is
    assert lexicon.translate(["jalan", "apik"], ["jv"]) == ["jalan", "bagus"]


def test_translation_prefers_the_longest_phrase_and_folds_diacritics():
    lexicon = build_lexicon({"mad": [("bâdâ", "ada")]}, indonesian=set())
    assert lexicon.translate(["matur", "nuwun", "pak"], ["jv"]) == ["terima", "kasih", "pak"]
    assert lexicon.translate(["bada"], ["mad"]) == ["ada"] and fold("Bâdâ'") == "bada"


def test_lexicons_are_read_from_the_data_dir():
    lexicon = load_regional_lexicon(FIXTURES)
    assert lexicon.translations["jv"][("reged",)] == "kotor"
    assert lexicon.translations["mad"][("bhaghus",)] == "bagus"  # diacritics folded
    assert ("kotor",) not in lexicon.translations["su"]  # the same word in Indonesian


def test_fit_learns_evidence_words_from_a_corpus():
    texts = ["zorb lopa ika", "zorb dana", "zorb kelo", "rumah kami bagus", "jalan kami rusak"]
    learned = LanguageIdentifier().fit(texts, ["su", "su", "su", "id", "id"]).corpus_evidence_
    assert "zorb" in learned["su"] and not learned["jv"]


def test_normalize_regional_is_a_switch():
    identifier = load_language_identifier(FIXTURES)
    text = "Aku ora seneng, kamare reged lan larang banget"
    off = TextNormalizer(TextConfig(), language=identifier).normalize(text)
    on = TextNormalizer(TextConfig(normalize_regional=True), language=identifier).normalize(text)
    assert "reged" in off.split() and "ora" in off.split()
    assert {"tidak", "kotor", "dan"} <= set(on.split())
    assert "reged" not in on.split()
    assert "larang" in on.split()  # also Indonesian ("forbid"): an ambiguous word stays as it is


def test_normalize_regional_leaves_indonesian_alone():
    identifier = load_language_identifier(FIXTURES)
    normalizer = TextNormalizer(TextConfig(normalize_regional=True), language=identifier)
    text = "Sampah di pinggir jalan belum diangkut petugas sejak hari senin"
    assert normalizer.normalize(text) == TextNormalizer(TextConfig()).normalize(text)


def test_config_rejects_a_non_boolean_switch():
    with pytest.raises(ValueError, match="normalize_regional"):
        TextConfig.from_dict({"normalize_regional": "yes"})


def test_the_identifier_and_its_lexicon_are_saved_in_the_model(tmp_path):
    identifier = load_language_identifier(FIXTURES)
    normalizer = TextNormalizer(replace(TextConfig(), normalize_regional=True), language=identifier)
    ModelBundle(normalizer, {}, {"version": "t"}).save(tmp_path / "m")
    loaded = ModelBundle.load(tmp_path / "m").normalizer
    text = "Petugase ora ramah lan antrine suwe"
    assert loaded.config.normalize_regional
    assert loaded.normalize(text) == normalizer.normalize(text)
    assert loaded.language.identify(text).label == identifier.identify(text).label == "jv"
    assert pickle.loads(pickle.dumps(loaded.language.lexicon_)).evidence("jv") == identifier.lexicon_.evidence("jv")


def test_regional_possessive_suffixes_become_nya():
    lexicon = build_lexicon({"jv": [("rega", "harga")]}, indonesian={"petugas", "tempat"})
    assert lexicon.translate(["petugase", "regane", "tempatna"], ["jv", "su"]) == \
        ["petugasnya", "harganya", "tempatnya"]
    assert lexicon.translate(["tempatna"], ["jv"]) == ["tempatna"]  # -na is not Javanese
