"""Find the kelurahan / kecamatan a complaint is about, from form fields, address or text.

Names are compared in a "compact" form (lower-case letters and digits only), so "DR. Soetomo",
"dr soetomo" and "drsoetomo" are the same place, and "Karang Pilang" matches "Karangpilang".
The gazetteer is data: each city brings its own lookup tables.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_WORD = re.compile(r"[a-z0-9]+")
# Words that announce a unit: "kel. ujung", "kelurahan ujung", "kec gubeng".
_KELURAHAN_MARKERS = {"kel", "kelurahan", "kelurhan", "desa"}
_KECAMATAN_MARKERS = {"kec", "kecamatan", "kecamtan"}
MAX_NAME_WORDS = 4


def compact(name: str) -> str:
    return _NON_ALNUM.sub("", str(name).lower())


@dataclass(frozen=True)
class Place:
    kelurahan: str | None  # display names as in the lookup tables
    kecamatan: str | None
    source: str  # "fields", "alamat" or "text": where the place was found


class Gazetteer:
    """Kelurahan (with their kecamatan) and kecamatan names of one city."""

    def __init__(self, kelurahan: dict[str, str], kecamatan: list[str]):
        """``kelurahan``: kelurahan name → its kecamatan name; ``kecamatan``: all kecamatan names."""
        self.kelurahan = {compact(k): (k, v) for k, v in kelurahan.items()}
        self.kecamatan = {compact(k): k for k in kecamatan}

    @classmethod
    def from_lookups(cls, kelurahan_csv: Path, kecamatan_csv: Path) -> "Gazetteer":
        """Read the `;`-separated lookup exports: kecamatan (id, name), kelurahan (id, name, kecamatan_id)."""
        def rows(path: Path):
            with Path(path).open(encoding="utf-8-sig", errors="replace", newline="") as fh:
                return [r for r in csv.DictReader(fh, delimiter=";") if r.get("name", "").strip()]

        kecamatan_by_id = {r["id"].strip(): r["name"].strip() for r in rows(kecamatan_csv)}
        kelurahan = {r["name"].strip(): kecamatan_by_id.get(str(r.get("kecamatan_id", "")).strip())
                     for r in rows(kelurahan_csv)}
        return cls(kelurahan, list(kecamatan_by_id.values()))

    def __len__(self) -> int:
        return len(self.kelurahan) + len(self.kecamatan)

    def from_fields(self, kelurahan: str | None, kecamatan: str | None) -> Place | None:
        kel = self.kelurahan.get(compact(kelurahan or ""))
        kec = self.kecamatan.get(compact(kecamatan or ""))
        if kel is None and kec is None:
            return None
        return Place(kel[0] if kel else None, kec or (kel[1] if kel else None), "fields")

    def search(self, text: str | None, source: str) -> Place | None:
        """Find a kelurahan or kecamatan name in free text; a name after "kel."/"kec." wins."""
        words = _WORD.findall(str(text or "").lower())
        found_kel, found_kec = None, None
        marked_kel, marked_kec = None, None
        for i in range(len(words)):
            for n in range(MAX_NAME_WORDS, 0, -1):
                key = "".join(words[i:i + n])
                previous = words[i - 1] if i else ""
                if key in self.kelurahan:
                    found_kel = found_kel or self.kelurahan[key]
                    if previous in _KELURAHAN_MARKERS:
                        marked_kel = marked_kel or self.kelurahan[key]
                if key in self.kecamatan:
                    found_kec = found_kec or self.kecamatan[key]
                    if previous in _KECAMATAN_MARKERS:
                        marked_kec = marked_kec or self.kecamatan[key]
        kel = marked_kel or found_kel
        kec = marked_kec or found_kec or (kel[1] if kel else None)
        if kel is None and kec is None:
            return None
        return Place(kel[0] if kel else None, kec, source)

    def locate(self, kelurahan: str | None = None, kecamatan: str | None = None, alamat: str | None = None,
               text: str | None = None) -> Place | None:
        """Form fields first (the reporter chose them), then the typed address, then the text."""
        return (self.from_fields(kelurahan, kecamatan) or self.search(alamat, "alamat")
                or self.search(text, "text"))
