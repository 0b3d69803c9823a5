"""IKM (Indeks Kepuasan Masyarakat) arithmetic of PermenPANRB 14/2017, as pure functions.

Nine unsur (service elements) are each answered 1–4. The NRR (nilai rata-rata) of an unsur is
the mean of its answers; IKM = Σ(NRR_i × weight) × 25 with weight 1/9, which puts IKM on 25–100.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Mapping

UNSUR: dict[str, str] = {
    "u1": "Persyaratan",
    "u2": "Sistem, Mekanisme, dan Prosedur",
    "u3": "Waktu Penyelesaian",
    "u4": "Biaya/Tarif",
    "u5": "Produk Spesifikasi Jenis Pelayanan",
    "u6": "Kompetensi Pelaksana",
    "u7": "Perilaku Pelaksana",
    "u8": "Sarana dan Prasarana",
    "u9": "Penanganan Pengaduan, Saran dan Masukan",
}
MIN_ANSWER, MAX_ANSWER = 1, 4
CONVERSION = 25
# "exact" is the regulation's 1/9; many published reports rounded it to 0.111, which makes an
# all-4 survey score 99.90 instead of 100.00. Offered so figures can be compared with theirs.
WEIGHTS: dict[str, float] = {"exact": 1 / 9, "0.111": 0.111}


@dataclass(frozen=True)
class Grade:
    letter: str
    mutu: str


# Lower bounds of the converted value. The regulation publishes closed intervals with gaps
# (…64.99 | 65.00…76.60 | 76.61…88.30 | 88.31…); grading the value rounded to 2 decimals, as
# reports publish it, against these lower bounds closes the gaps.
GRADES: tuple[tuple[Decimal, Grade], ...] = (
    (Decimal("88.31"), Grade("A", "Sangat Baik")),
    (Decimal("76.61"), Grade("B", "Baik")),
    (Decimal("65.00"), Grade("C", "Kurang Baik")),
    (Decimal("25.00"), Grade("D", "Tidak Baik")),
)
LOWEST, HIGHEST = Decimal("25.00"), Decimal("100.00")


def nrr(scores: Iterable[float]) -> float:
    """Mean of one unsur's valid answers (each 1–4)."""
    values = list(scores)
    if not values:
        raise ValueError("nrr: no answers")
    bad = [v for v in values if not MIN_ANSWER <= v <= MAX_ANSWER]
    if bad:
        raise ValueError(f"nrr: answers must be {MIN_ANSWER}–{MAX_ANSWER}, got {bad[:5]}")
    return sum(values) / len(values)


def ikm_score(nrr_by_unsur: Mapping[str, float], weight: str = "exact") -> float:
    """Converted IKM (25–100) from the NRR of all nine unsur, unrounded."""
    if weight not in WEIGHTS:
        raise ValueError(f"weight: expected one of {sorted(WEIGHTS)}, got {weight!r}")
    missing = [code for code in UNSUR if nrr_by_unsur.get(code) is None]
    if missing:
        raise ValueError(f"ikm_score: no NRR for {', '.join(missing)}")
    return sum(nrr_by_unsur[code] * WEIGHTS[weight] for code in UNSUR) * CONVERSION


def round_ikm(value: float) -> float:
    """The value as reports publish it: 2 decimals, halves rounded up (88.305 → 88.31)."""
    # Rounding to 9 places first removes float noise (88.30499999… from summing exact 88.305).
    return float(Decimal(repr(round(value, 9))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def grade(ikm_value: float) -> Grade:
    """Grade (A–D) and mutu of a converted value, graded on the value rounded to 2 decimals."""
    published = Decimal(repr(round_ikm(ikm_value)))
    if not LOWEST <= published <= HIGHEST:
        raise ValueError(f"grade: converted value must be {LOWEST}–{HIGHEST}, got {ikm_value}")
    return next(g for bound, g in GRADES if published >= bound)


def grade_nrr(nrr_value: float) -> Grade:
    """Grade of one unsur: its NRR converted (× 25) and graded like an IKM."""
    return grade(nrr_value * CONVERSION)


def min_sample_size(population: int) -> int:
    """Krejcie–Morgan minimum sample (χ² 3.841, P 0.5, margin 0.05), rounded up."""
    if isinstance(population, bool) or not isinstance(population, int) or population < 1:
        raise ValueError(f"population: expected a whole number ≥ 1, got {population!r}")
    chi2, p, d = 3.841, 0.5, 0.05
    size = chi2 * population * p * (1 - p) / (d**2 * (population - 1) + chi2 * p * (1 - p))
    # The rounding guards against 80.0000000001 becoming 81.
    return math.ceil(round(size, 6))
