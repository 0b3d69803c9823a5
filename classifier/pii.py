"""Masking of personal data (NIK, phone numbers, emails, vehicle plates, URLs).

Every text is masked before it is logged, stored or used as a feature, so the placeholders
are also what the models see: "[telepon]" is a useful signal, a real number is not.
"""
from __future__ import annotations

import re

# Region codes of Indonesian vehicle plates. A whitelist keeps "RT 05 RW" or "no 12 rt"
# from being taken for a plate while still catching lower-case plates typed by citizens.
_PLATE_REGIONS = (
    "A B D E F G H K L M N P R S T W Z "
    "AA AB AD AE AG BA BB BD BE BG BH BK BL BM BN BP DA DB DC DD DE DG DH DK DL DM DN DR DS DT "
    "EA EB ED KB KH KT KU PA PB"
).split()
_NOT_PLATE_SUFFIX = {
    "rt", "rw", "no", "gg", "jl", "jam", "thn", "th", "hr", "bln", "kg", "km", "cm", "m", "x",
    "dan", "ini", "itu", "yg", "ada", "dgn", "utk", "org", "kk", "di", "ke", "ya", "pak", "bu",
}

PLACEHOLDERS = {
    "url": "[url]",
    "email": "[email]",
    "nik": "[nik]",
    "phone": "[telepon]",
    "plate": "[plat]",
}

_ANY_DIGIT = re.compile(r"\d")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
# +62 / 62 / 0 followed by a mobile (8xx) or area code, digits grouped by spaces, dots or dashes.
_PHONE = re.compile(
    r"(?<![\w+])(?:\(?\+?62\)?[\s.-]?|0)(?:8\d{1,3}|[1-79]\d{1,3})(?:[\s.-]?\d{2,5}){2,3}(?!\d)"
)
_PLATE = re.compile(
    r"\b(" + "|".join(sorted(_PLATE_REGIONS, key=len, reverse=True)) + r")\s?(\d{1,4})\s?([a-z]{1,3})\b",
    re.IGNORECASE,
)


def _mask_plate(match: re.Match) -> str:
    if match.group(3).lower() in _NOT_PLATE_SUFFIX:
        return match.group(0)
    return PLACEHOLDERS["plate"]


def _mask_phone(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    # Short numbers ("0 12 34") are house numbers or dates, not phones.
    return PLACEHOLDERS["phone"] if len(digits) >= 9 else match.group(0)


def mask_pii(text: str) -> str:
    """Replace personal data in ``text`` with placeholder tokens such as ``[telepon]``."""
    # Cheap membership tests first: most complaints have no URL or email, many no digits at all.
    lowered = text.lower()
    if "http" in lowered or "www." in lowered:
        text = _URL.sub(PLACEHOLDERS["url"], text)
    if "@" in text:
        text = _EMAIL.sub(PLACEHOLDERS["email"], text)
    if _ANY_DIGIT.search(text):
        text = _NIK.sub(PLACEHOLDERS["nik"], text)
        text = _PHONE.sub(_mask_phone, text)
        text = _PLATE.sub(_mask_plate, text)
    return text
