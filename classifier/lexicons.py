"""Slang and stopword lexicons, read from the data directory.

The two public slang lexicons disagree (kamus_alay maps "gak" to "enggak", IndoCollex to
"tidak"; kamus_alay reads "kel" as "keluarga" where a complaint means "kelurahan"), so the
canonical forms are decided here: ``CANONICAL_OVERRIDES`` wins over IndoCollex, which wins
over kamus_alay.
"""
from __future__ import annotations

import csv
from pathlib import Path

KAMUS_ALAY = Path("lexicons/kamus_alay.csv")
INDOCOLLEX = Path("lexicons/indocollex_informal_formal.tsv")
STOPWORDS = Path("lexicons/stopwords_id.txt")

NEGATORS = frozenset({"tidak", "bukan", "belum", "jangan", "tanpa", "kurang", "tak"})
INTENSIFIERS = frozenset({"sangat", "sekali", "banget", "amat", "terlalu", "paling", "makin", "semakin", "lebih"})

# Canonical forms chosen by the authors of aduan for words that matter to triage and sentiment.
CANONICAL_OVERRIDES: dict[str, str] = {
    # negation: one form, so "gak bagus" and "tidak bagus" share features
    **{w: "tidak" for w in (
        "ga", "gak", "gk", "nggak", "ngga", "nggk", "enggak", "engga", "egak", "kagak", "kaga",
        "ndak", "nda", "ndk", "tdk", "tak", "gaada", "gada",
    )},
    "blm": "belum", "blum": "belum", "lom": "belum", "durung": "belum",
    "bkn": "bukan", "jgn": "jangan", "krg": "kurang",
    # intensifiers
    "bgt": "banget", "bngt": "banget", "sgt": "sangat", "bgd": "banget",
    "mantul": "mantap", "mantab": "mantap", "josss": "mantap",
    # places and addressing: kamus_alay reads "kel" as "keluarga"
    "kel": "kelurahan", "kelurhan": "kelurahan", "kec": "kecamatan", "kecamtan": "kecamatan",
    "jl": "jalan", "jln": "jalan", "gg": "gang", "kmp": "kampung", "kmpg": "kampung",
    # mapped to themselves: keeps the lexicons from rewriting these domain words (kamus_alay: kk → kakak)
    "pju": "pju", "pdam": "pdam", "mbr": "mbr", "ktp": "ktp", "kk": "kk", "rt": "rt", "rw": "rw",
    "sy": "saya", "sya": "saya", "aq": "aku", "yg": "yang", "dgn": "dengan", "utk": "untuk",
    "tp": "tapi", "krn": "karena", "karna": "karena", "sdh": "sudah", "udh": "sudah", "udah": "sudah",
    "trus": "terus", "trs": "terus", "bs": "bisa", "bsa": "bisa", "mhn": "mohon", "tlg": "tolong",
    "mimin": "admin", "hub": "hubungi", "tf": "transfer", "ok": "oke", "okey": "oke",
}


def _read_kamus_alay(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        return {
            row["slang"].strip().lower(): row["formal"].strip().lower()
            for row in csv.DictReader(fh)
            if row.get("slang") and row.get("formal")
        }


def _read_indocollex(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader, None)  # header: informal, formal
        return {row[0].strip().lower(): row[1].strip().lower() for row in reader if len(row) >= 2 and row[0].strip()}


def load_slang_lexicon(data_dir: Path | None) -> dict[str, str]:
    """Merged informal → formal map: overrides, then IndoCollex, then kamus_alay.

    An entry whose informal side is itself a formal word of either lexicon ("air", "bisa") is
    ignored: rewriting real words does more harm than good. Without a data dir only the
    overrides are used.
    """
    alay = _read_kamus_alay(data_dir / KAMUS_ALAY) if data_dir and (data_dir / KAMUS_ALAY).exists() else {}
    collex = _read_indocollex(data_dir / INDOCOLLEX) if data_dir and (data_dir / INDOCOLLEX).exists() else {}
    formal_words = {w for v in (*alay.values(), *collex.values()) for w in v.split()}
    merged: dict[str, str] = {}
    for source in (alay, collex):
        for informal, formal in source.items():
            if informal != formal and informal not in formal_words and " " not in informal:
                merged[informal] = formal
    merged.update(CANONICAL_OVERRIDES)
    return {k: v for k, v in merged.items() if k != v}


def load_stopwords(data_dir: Path | None) -> frozenset[str]:
    """Stopwords from the data dir, never including negators or intensifiers."""
    path = data_dir / STOPWORDS if data_dir else None
    words = set()
    if path and path.exists():
        words = {line.strip().lower() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()}
    return frozenset(words - NEGATORS - INTENSIFIERS - {""})
