"""Personal-data masking on strings written for these tests."""
import pytest

from classifier.pii import mask_nested, mask_pii


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


@pytest.mark.parametrize("text, expected", [
    ("Nama saya Rudi Hartono, alamat Jl. Mawar 3", "Nama saya [nama], alamat Jl. Mawar 3"),
    ("NAMA : BAMBANG SUTRISNO\nNIK : 3578012345678901", "NAMA : [nama]\nNIK : [nik]"),
    ("nama : Sulastri\\nalamat : jl contoh", "nama : [nama]\\nalamat : jl contoh"),  # a literal \n, as exports have
    ("atas nama:\nWati Lestari\nalamat sama", "atas nama:\n[nama]\nalamat sama"),
    ("bernama Bapak Joko selaku mandor", "bernama Bapak [nama] selaku mandor"),
    ("kartu atas nama wati lestari sudah diverifikasi", "kartu atas nama [nama] sudah diverifikasi"),
    ("surat a.n. Sinta R. belum dibalas", "surat a.n. [nama] belum dibalas"),
    ("bansos atas nama Slamet Riyadi hari Senin belum cair", "bansos atas nama [nama] hari Senin belum cair"),
    ("anak saya bernama M. Fajar Nugroho. Dia sakit", "anak saya bernama [nama]. Dia sakit"),
])
def test_announced_names_are_replaced(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", [
    "nama saya sudah terdaftar di data MBR",
    "nama saya. Mohon dibantu",
    "atas nama suami tapi belum cair",
    "surat a.n SMPN 99 belum dibalas",
    "penamaan jalan di kampung kami salah",
    "an Aisyah sudah dipanggil",  # a bare "an" is too common a syllable to announce a name
])
def test_words_after_a_name_cue_that_are_not_names_stay(text):
    assert mask_pii(text) == text


def test_mask_nested_masks_every_string_and_keeps_keys_and_numbers():
    outputs = {"urgency": {"label": "tinggi", "confidence": 0.9, "reasons": ["takut 0812-3456-7890 roboh"]},
               "topic": None, "0812-3456-7890": ("NIK 3578012345670001",)}
    assert mask_nested(outputs) == {
        "urgency": {"label": "tinggi", "confidence": 0.9, "reasons": ["takut [telepon] roboh"]},
        "topic": None, "0812-3456-7890": ["NIK [nik]"]}
