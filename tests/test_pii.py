"""Personal-data masking on strings written for these tests."""
import pytest

from classifier.pii import mask_pii


@pytest.mark.parametrize("text, expected", [
    ("hubungi +62 812-3456-7890 ya", "hubungi [telepon] ya"),
    ("wa 6281234567890", "wa [telepon]"),
    ("no hp 0812 3456 7890", "no hp [telepon]"),
    ("kantor 031-5551234", "kantor [telepon]"),
    ("NIK 3578012345678901 tidak terdaftar", "NIK [nik] tidak terdaftar"),
    ("kirim ke warga.surabaya@contoh.co.id", "kirim ke [email]"),
    ("cek https://contoh.go.id/lapor?id=5 dan www.contoh.id", "cek [url] dan [url]"),
    ("motor L 1234 AB parkir di trotoar", "motor [plat] parkir di trotoar"),
    ("mobil b1234xyz menghalangi", "mobil [plat] menghalangi"),
])
def test_personal_data_is_replaced(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", [
    "RT 05 RW 03 kelurahan ujung",
    "rumah no 12 rt 3",
    "sudah 3 hari tidak diangkut",
    "tanggal 12 03 2022",
    "jalan 5 no 10",
])
def test_addresses_and_dates_are_left_alone(text):
    assert mask_pii(text) == text
