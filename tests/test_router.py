"""Gazetteer and two-stage agency routing, on location strings written for these tests."""
import pickle
from pathlib import Path

import numpy as np
import pytest

from classifier.gazetteer import Gazetteer, compact
from classifier.predict import Complaint
from classifier.router import AgencyRouter, agency_level, split_by_level
from classifier.routing_table import Route, RoutingTable

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"


@pytest.fixture(scope="module")
def gazetteer():
    return Gazetteer.from_lookups(FIXTURES / "lookup_kelurahan.csv", FIXTURES / "lookup_kecamatan.csv")


def test_lookup_tables_are_read_with_their_kecamatan(gazetteer):
    assert len(gazetteer) == 6 + 4
    assert gazetteer.kelurahan[compact("Dr. Soetomo")] == ("Dr. Soetomo", "Tegalsari")


@pytest.mark.parametrize("text, kelurahan, kecamatan", [
    ("jalan rusak di kel. ujung dekat pasar", "Ujung", "Semampir"),
    ("wilayah DR. Soetomo gelap", "Dr. Soetomo", "Tegalsari"),
    ("rumah di drsoetomo kebanjiran", "Dr. Soetomo", "Tegalsari"),
    ("di kec karang pilang tidak ada petugas", None, "Karangpilang"),
    ("Kelurahan Pucang  Sewu, Kecamatan Gubeng", "Pucang Sewu", "Gubeng"),
    ("warga kel.pucangsewu mengeluh", "Pucang Sewu", "Gubeng"),
])
def test_names_are_found_despite_spelling_variants(gazetteer, text, kelurahan, kecamatan):
    place = gazetteer.search(text, "text")
    assert (place.kelurahan, place.kecamatan) == (kelurahan, kecamatan)


def test_a_marked_name_beats_an_earlier_unmarked_one(gazetteer):
    # "gubeng" is both a kelurahan and a kecamatan; the explicit "kel." decides the kelurahan
    place = gazetteer.search("pasar gubeng ramai, saya warga kel. airlangga", "text")
    assert place.kelurahan == "Airlangga"


def test_form_fields_win_then_address_then_text(gazetteer):
    assert gazetteer.locate("Ujung", "Semampir", "jl airlangga", "di kel gubeng").kelurahan == "Ujung"
    assert gazetteer.locate(None, None, "jl kedurus 5", "di kel gubeng").source == "alamat"
    assert gazetteer.locate("", "", "", "di kel gubeng").source == "text"
    assert gazetteer.locate("", "", "jalan contoh", "tidak ada nama tempat") is None


class FixedLevels:
    """A stand-in level model with fixed probabilities, to test routing alone."""

    classes_ = np.array(["Dinas Sosial", "Kecamatan", "Kelurahan"])

    def __init__(self, proba):
        self.proba = np.array(proba, dtype=float)

    def predict_proba(self, texts):
        return np.tile(self.proba, (len(texts), 1))


def test_router_resolves_local_levels_to_training_spelling(gazetteer):
    units = AgencyRouter.unit_labels_from(["Kelurahan dr. Soetomo", "Kecamatan Tegalsari", "Dinas Sosial"])
    router = AgencyRouter(FixedLevels([0.2, 0.1, 0.7]), gazetteer, units)
    [routed] = router.route(["x"], [Complaint("jalan rusak", kelurahan="DR. SOETOMO", kecamatan="Tegalsari")])
    assert routed.labels == ["Kelurahan dr. Soetomo", "Dinas Sosial", "Kecamatan Tegalsari"]
    assert routed.confidences == pytest.approx([0.7, 0.2, 0.1])
    assert not routed.unresolved_level


def test_unknown_unit_gets_level_plus_gazetteer_name(gazetteer):
    router = AgencyRouter(FixedLevels([0.1, 0.2, 0.7]), gazetteer, {})
    [routed] = router.route(["x"], [Complaint("jalan di kel. kedurus rusak")])
    assert routed.labels[0] == "Kelurahan Kedurus"


def test_no_location_returns_the_level_and_flags_it(gazetteer):
    router = AgencyRouter(FixedLevels([0.1, 0.2, 0.7]), gazetteer, {})
    [routed] = router.route(["x"], [Complaint("ada masalah di kampung")])
    assert routed.labels[0] == "Kelurahan" and routed.unresolved_level


def test_agency_level():
    assert agency_level("Kelurahan Ujung") == "Kelurahan"
    assert agency_level("Kecamatan Karang Pilang") == "Kecamatan"
    assert agency_level("Dinas Sosial") == "Dinas Sosial"


def test_local_weight_shifts_answers_between_city_and_local(gazetteer):
    complaint = Complaint("jalan rusak", kelurahan="Ujung")
    even = AgencyRouter(FixedLevels([0.5, 0.1, 0.4]), gazetteer, {})
    assert even.route(["x"], [complaint])[0].labels[0] == "Dinas Sosial"
    local = AgencyRouter(FixedLevels([0.5, 0.1, 0.4]), gazetteer, {}, local_weight=1.5)
    [routed] = local.route(["x"], [complaint])
    assert routed.labels[0] == "Kelurahan Ujung"
    assert sum(routed.confidences) == pytest.approx(1.0)  # probabilities are renormalized


def test_known_topic_weighs_in_through_the_routing_table(gazetteer):
    # The text model leans to the city agency; the topic's complaints nearly all went to a kelurahan.
    table = RoutingTable({"Permasalahan Wilayah": Route("Kelurahan", 0.9, 10, {"Kelurahan": 9, "Dinas Sosial": 1})})
    router = AgencyRouter(FixedLevels([0.6, 0.1, 0.3]), gazetteer, {})
    text_only, with_topic, unknown_topic = router.route(
        ["x"] * 3, [Complaint("jalan rusak", kelurahan="Ujung"),
                    Complaint("jalan rusak", kelurahan="Ujung", known_topic="Permasalahan Wilayah"),
                    Complaint("jalan rusak", kelurahan="Ujung", known_topic="Topik Baru")], routing_table=table)
    assert text_only.labels[0] == "Dinas Sosial"
    assert with_topic.labels[0] == "Kelurahan Ujung"
    assert sum(with_topic.confidences) == pytest.approx(1.0)
    assert unknown_topic.labels == text_only.labels  # a topic not in the table changes nothing


def test_unit_spelled_differently_in_labels_and_lookups_gets_the_label(gazetteer):
    # The lookup table says "Airlangga"; the desk's labels say "Airlanga". "Kedurus" has no close label.
    units = AgencyRouter.unit_labels_from(["Kelurahan Airlanga", "Kelurahan Kedungdoro"])
    router = AgencyRouter(FixedLevels([0.1, 0.2, 0.7]), gazetteer, units)
    found, unrelated = router.route(["x", "x"], [Complaint("jalan rusak", kelurahan="airlangga"),
                                                 Complaint("jalan rusak", kelurahan="Kedurus")])
    assert found.labels[0] == "Kelurahan Airlanga"
    assert unrelated.labels[0] == "Kelurahan Kedurus"


class FixedLocal:
    """A stand-in local-or-city model: the same P(local) for every complaint."""

    classes_ = np.array([False, True])

    def __init__(self, p_local):
        self.p_local = p_local

    def predict_proba(self, texts):
        return np.tile([1 - self.p_local, self.p_local], (len(texts), 1))


def test_split_by_level_gives_the_local_levels_the_local_models_share():
    proba = np.array([[0.5, 0.1, 0.4], [0.9, 0.05, 0.05]])
    shared = split_by_level(proba, FixedLevels.classes_, np.array([0.8, 0.1]))
    assert shared.sum(axis=1) == pytest.approx([1.0, 1.0])
    # local levels keep their own proportions (0.1 : 0.4) inside P(local) = 0.8
    assert shared[0] == pytest.approx([0.2, 0.16, 0.64])
    assert shared[1] == pytest.approx([0.9, 0.05, 0.05])


def test_local_model_decides_local_or_city(gazetteer):
    complaint = Complaint("jalan rusak", kelurahan="Ujung")
    levels = FixedLevels([0.5, 0.1, 0.4])
    assert AgencyRouter(levels, gazetteer, {}).route(["x"], [complaint])[0].labels[0] == "Dinas Sosial"
    [local] = AgencyRouter(levels, gazetteer, {}, local_model=FixedLocal(0.8)).route(["x"], [complaint])
    assert local.labels[0] == "Kelurahan Ujung" and local.confidences[0] == pytest.approx(0.64)
    # unsure between local and city: the best answer's confidence is low, so the policy asks for review
    [unsure] = AgencyRouter(levels, gazetteer, {}, local_model=FixedLocal(0.5)).route(["x"], [complaint])
    assert unsure.confidences[0] == pytest.approx(0.5)


def test_a_router_pickled_before_the_local_model_loads_without_one(gazetteer):
    router = AgencyRouter(FixedLevels([0.2, 0.1, 0.7]), gazetteer, {})
    del router.__dict__["local_model"]
    assert pickle.loads(pickle.dumps(router)).local_model is None


def test_local_weight_applies_to_complaints_routed_from_their_text_only(gazetteer):
    table = RoutingTable({"Wilayah": Route("Kelurahan", 0.5, 10, {"Kelurahan": 5, "Dinas Sosial": 5})})
    router = AgencyRouter(FixedLevels([0.4, 0.1, 0.5]), gazetteer, {}, local_weight=0.5)
    by_text, by_topic = router.route(["x", "x"], [Complaint("jalan rusak", kelurahan="Ujung"),
                                                  Complaint("jalan rusak", kelurahan="Ujung", known_topic="Wilayah")],
                                     routing_table=table)
    assert by_text.labels[0] == "Dinas Sosial"  # 0.5 x 0.5 < 0.4
    assert by_topic.labels[0] == "Kelurahan Ujung"  # the topic's even prior leaves the text's 0.5 ahead
