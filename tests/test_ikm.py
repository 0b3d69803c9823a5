"""IKM arithmetic (PermenPANRB 14/2017) against worked examples computed by hand here."""
import pytest

from classifier.ikm import UNSUR, Grade, grade, grade_nrr, ikm_score, min_sample_size, nrr, round_ikm


def all_unsur(value: float) -> dict[str, float]:
    return {code: value for code in UNSUR}


def test_nine_unsur_in_regulation_order():
    assert list(UNSUR) == [f"u{i}" for i in range(1, 10)]
    assert UNSUR["u3"] == "Waktu Penyelesaian"
    assert UNSUR["u9"] == "Penanganan Pengaduan, Saran dan Masukan"


def test_nrr_is_the_mean_of_the_answers():
    assert nrr([4, 3, 3, 2]) == pytest.approx(12 / 4)
    assert nrr([1]) == 1


@pytest.mark.parametrize("scores", [[], [4, 5], [0, 3]])
def test_nrr_rejects_no_answers_or_answers_outside_1_to_4(scores):
    with pytest.raises(ValueError, match="nrr"):
        nrr(scores)


def test_all_4_survey_scores_100_with_exact_weight_and_99_90_with_0_111():
    assert ikm_score(all_unsur(4.0)) == pytest.approx(100.0)
    assert round_ikm(ikm_score(all_unsur(4.0), weight="0.111")) == 99.90  # 4 × 0.111 × 9 × 25


def test_worked_example_with_both_weights():
    nrrs = {"u1": 3.2, "u2": 3.0, "u3": 2.5, "u4": 3.9, "u5": 3.1, "u6": 3.3, "u7": 2.8, "u8": 3.0, "u9": 2.6}
    total = 3.2 + 3.0 + 2.5 + 3.9 + 3.1 + 3.3 + 2.8 + 3.0 + 2.6  # 27.4
    assert ikm_score(nrrs) == pytest.approx(total / 9 * 25)  # 76.111…
    assert round_ikm(ikm_score(nrrs)) == 76.11
    assert ikm_score(nrrs, weight="0.111") == pytest.approx(total * 0.111 * 25)  # 76.035
    assert round_ikm(ikm_score(nrrs, weight="0.111")) == 76.04  # a half, rounded up
    assert grade(ikm_score(nrrs)) == Grade("C", "Kurang Baik")


def test_ikm_needs_every_unsur_and_a_known_weight():
    partial = all_unsur(3.0)
    del partial["u7"]
    with pytest.raises(ValueError, match="u7"):
        ikm_score(partial)
    with pytest.raises(ValueError, match="weight"):
        ikm_score(all_unsur(3.0), weight="0.11")


@pytest.mark.parametrize("value, letter, mutu", [
    (100.0, "A", "Sangat Baik"),
    (88.31, "A", "Sangat Baik"),
    (88.30, "B", "Baik"),
    (76.61, "B", "Baik"),
    (76.60, "C", "Kurang Baik"),
    (65.00, "C", "Kurang Baik"),
    (64.99, "D", "Tidak Baik"),
    (25.0, "D", "Tidak Baik"),
])
def test_grade_on_the_published_interval_bounds(value, letter, mutu):
    assert grade(value) == Grade(letter, mutu)


@pytest.mark.parametrize("value, letter", [
    # Inside a gap the value is graded as published, rounded to 2 decimals with halves up.
    (88.305, "A"), (88.3049, "B"),
    (76.605, "B"), (76.6049, "C"),
    (64.995, "C"), (64.9949, "D"),
])
def test_values_inside_the_gaps_are_graded_on_their_2_decimal_rounding(value, letter):
    assert grade(value).letter == letter


def test_a_computed_ikm_exactly_on_a_half_rounds_up_despite_float_noise():
    # 3.5322 × 9 / 9 × 25 = 88.305 exactly; float arithmetic lands a hair below.
    value = ikm_score(all_unsur(3.5322))
    assert round_ikm(value) == 88.31
    assert grade(value).letter == "A"


@pytest.mark.parametrize("value", [24.99, 100.01])
def test_grade_rejects_values_outside_25_to_100(value):
    with pytest.raises(ValueError, match="25.00–100.00"):
        grade(value)


@pytest.mark.parametrize("nrr_value, letter", [
    (3.5324, "A"),  # × 25 = 88.31
    (3.532, "B"),   # 88.30
    (3.0644, "B"),  # 76.61
    (3.064, "C"),   # 76.60
    (2.60, "C"),    # 65.00
    (2.5996, "D"),  # 64.99
])
def test_unsur_grade_converts_nrr_times_25(nrr_value, letter):
    assert grade_nrr(nrr_value).letter == letter


@pytest.mark.parametrize("population, expected", [
    (1, 1),        # 0.96025 / 0.96025
    (10, 10),      # 9.6025 / 0.98275 = 9.77
    (100, 80),     # 96.025 / 1.20775 = 79.51
    (1000, 278),   # 960.25 / 3.45775 = 277.71
    (10000, 370),  # 9602.5 / 25.95775 = 369.93
])
def test_krejcie_morgan_minimum_sample(population, expected):
    assert min_sample_size(population) == expected


@pytest.mark.parametrize("population", [0, -5, 2.5, True, "100"])
def test_minimum_sample_needs_a_whole_positive_population(population):
    with pytest.raises(ValueError, match="population"):
        min_sample_size(population)
