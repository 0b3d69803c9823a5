"""mask_pii runs in linear time on hostile input (issue 13, item 3: ReDoS).

For every pattern of classifier/pii.py, near-miss repetitions built to make that pattern
backtrack are masked at 2,000 and 20,000 characters. Linear work grows 10x; a quadratic pattern
grows about 100x. The test fails above 25x: a complexity check with room for timer noise, not a
speed target.
"""
from __future__ import annotations

import time

import pytest

from classifier.pii import mask_pii

SHORT, LONG = 2_000, 20_000
MAX_GROWTH = 25

# (pattern, hostile unit): the unit is repeated to the wanted length.
HOSTILE = [
    ("url", "http:/"), ("url", "www.x"), ("url", "https://a\\"), ("url", "wwwwww. "),
    ("email", "a."), ("email", "a.@ "), ("email", "a@"), ("email", "a@a."), ("email", "a@a-."),
    ("email", "a [at] "), ("email", "a (at) b (dot) "), ("email", "a at b dot "), ("email", "a @ a."),
    ("email", "\\na."), ("email", "a+-"),
    ("nik", "1"), ("nik", "1234 "), ("nik", "3578."), ("nik", "35-"), ("nik", "nik 1 "), ("nik", "nik:12 34 "),
    ("nik", "kk saya 3"), ("nik", "357801 "),
    ("phone", "0"), ("phone", "08 "), ("phone", "0812-"), ("phone", "0812 - "), ("phone", "(031) "),
    ("phone", "+62 "), ("phone", "(+62) 8 "), ("phone", "62.5"), ("phone", "\\n0"), ("phone", "Rp 0812."),
    ("plate", "L 1234 "), ("plate", "B1"), ("plate", "L-1-L-1-"), ("plate", "AB 12 rt "), ("plate", "\\nB 1 "),
    ("name", "a.n."), ("name", "a.n"), ("name", "nama saya "), ("name", "atas nama "), ("name", "bernama Budi "),
    ("name", "nama "), ("name", "nama  :"), ("name", "a"), ("name", "Nama : A.B."), ("name", "\\nnama saya x "),
]


def hostile(unit: str, length: int, prefix: str = "", suffix: str = "") -> str:
    body = (unit * (length // len(unit) + 1))[:length - len(prefix) - len(suffix)]
    return prefix + body + suffix


def seconds(text: str, repeat: int) -> float:
    """Best of 3 of the time to mask ``text``, averaged over ``repeat`` calls."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            mask_pii(text)
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def growth(short: str, long: str, attempts: int = 3) -> float:
    """How many times longer ``long`` takes than ``short``; noise only ever adds, so the least of a
    few attempts is kept (and the first one under the limit ends the search)."""
    ratios = []
    for _ in range(attempts):
        # The short text is masked ten times per sample, so both samples take comparable time.
        ratios.append(seconds(long, 1) / max(seconds(short, 10), 1e-7))
        if ratios[-1] < MAX_GROWTH:
            break
    return min(ratios)


@pytest.mark.parametrize("pattern, unit", HOSTILE, ids=[f"{p}:{u!r}" for p, u in HOSTILE])
@pytest.mark.parametrize("prefix, suffix", [("", ""), ("nama saya ", " @ x"), ("x ", " 0812")],
                         ids=["bare", "cue-first", "digits-last"])
def test_every_pattern_is_linear_on_hostile_repetitions(pattern, unit, prefix, suffix):
    ratio = growth(hostile(unit, SHORT, prefix, suffix), hostile(unit, LONG, prefix, suffix))
    assert ratio < MAX_GROWTH, f"{pattern} pattern: 10x longer input took {ratio:.0f}x longer"


def test_a_long_realistic_text_masks_in_linear_time():
    complaint = ("Nama saya Budi Santoso, NIK 3578 0123 4567 0001, hp 0812-3456-7890 / (031) 5312144, "
                 "email budi [at] contoh(dot)com, mobil L-5678-CD parkir di depan rumah no 23 RT 05 RW 03 "
                 "sejak 2 hari, lihat https://contoh.id/foto a.n. Siti. ")
    ratio = growth(hostile(complaint, SHORT), hostile(complaint, LONG))
    assert ratio < MAX_GROWTH, f"a realistic text 10x longer took {ratio:.0f}x longer"
    masked = mask_pii(hostile(complaint, LONG))
    assert "0812" not in masked and "5678" not in masked and "Budi" not in masked
