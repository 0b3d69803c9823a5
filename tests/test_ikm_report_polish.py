"""IKM report details found when it was opened in Chromium (issue 17): complaint phrases reach the
themes whatever the sentiment model says, example quotes do not repeat, the trend chart's grade
labels stay clear of the value labels, numeric columns line up, print CSS, and `-o report.pdf`
without a browser is one clear line. The browser's own checks are in tests/browser/test_ikm_browser.py."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from aduan.cli import main
from classifier.ikm_report import _trend_chart, build_report, render_html
from classifier.themes import complaint_cues, count_themes

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"
ANSWERS = {f"u{i}": 4 for i in range(1, 10)}


def survey(comments: list[str], **answers) -> pd.DataFrame:
    return pd.DataFrame([{**ANSWERS, **answers, "comment": c} for c in comments])


def everything(label: str):
    """A sentiment model's answer for every comment (the report takes any labelling function)."""
    return lambda texts: [label] * len(texts)


def test_an_unofficial_fee_scored_neutral_still_reaches_the_weakest_unsurs_theme():
    frame = survey(["Ada pungutan di luar biaya resmi", "Diminta uang rokok supaya cepat", "pelayanan biasa saja",
                    "Tidak ada pungli, pelayanan gratis"], u4=2)
    report = build_report(frame, sentiment=everything("neutral"))
    assert report.overall.weakest_unsur == "u4"
    [theme] = report.overall.negative_themes
    assert (theme.unsur, theme.comments) == ("u4", 2)  # the denial is no complaint
    assert report.overall.sentiment == {"neutral": 4}  # the model's labels are reported as they are


@pytest.mark.filterwarnings("error")
def test_a_group_without_comments_has_no_themes_and_no_warning():
    frame = pd.concat([survey(["Ada pungutan di luar biaya resmi"]).assign(unit="A"),
                       survey([""]).assign(unit="B")])
    report = build_report(frame, by=["unit"], sentiment=everything("neutral"))
    assert [[t.key for t in g.negative_themes] for g in report.groups] == [["biaya"], []]


@pytest.mark.parametrize("text, stated", [
    ("ada pungutan di luar biaya resmi", True), ("Masih ada calo di depan loket", True),
    ("bayar tanpa kuitansi", True), ("dimintai uang oleh oknum", True),
    ("tidak ada pungli", False), ("bebas calo", False), ("gak ada pungutan liar", False),
    ("belum pernah diminta uang", False), ("biaya sesuai tarif resmi", False),
])
def test_complaint_phrases_count_unless_denied(text, stated):
    assert bool(complaint_cues(text)) is stated


def test_example_quotes_of_a_theme_are_distinct():
    [theme], _ = count_themes(["Antri lama sekali", "antri  lama sekali.", "ANTRI LAMA SEKALI!", "Antrinya lama"])
    assert theme.comments == 4 and theme.examples == ["Antri lama sekali", "Antrinya lama"]


def test_grade_labels_sit_right_of_every_point_and_its_value_label():
    report = build_report(pd.read_csv(FIXTURES / "survey_trend.csv", dtype=str, keep_default_na=False))
    chart = _trend_chart(report.trend)
    assert [p["period"] for p in chart["points"]] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert max(p["x"] for p in chart["points"]) == chart["right"]
    html = render_html(report)
    band_x = {float(x) for x in re.findall(r'<text class="band" x="([\d.]+)"', html)}
    # A value label ("91.32", 11 px font) is centred on its point: about 16 px each side.
    assert band_x and min(band_x) >= chart["right"] + 20
    assert max(band_x) + 60 <= chart["width"]  # "A ≥ 88.31" fits inside the picture


def test_numeric_headers_align_with_their_numbers_and_print_css_is_there():
    html = render_html(build_report(pd.read_csv(FIXTURES / "survey_trend.csv", dtype=str, keep_default_na=False),
                                    by=["unit"]))
    assert '<th>Periode</th><th class="num">Responden</th><th class="num">IKM</th>' in html
    assert "th.num, td.num { text-align: right;" in html
    assert "@page { size: A4;" in html and ".group + .group { break-before: page; }" in html
    assert html.count('class="card group"') == 2
    assert "default-src 'none'" in html and "<script" not in html and "http" not in html.split("</head>")[1]


def test_pdf_without_a_browser_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ADUAN_MODELS_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("ADUAN_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert main(["ikm", str(FIXTURES / "survey_trend.csv"), "-o", str(tmp_path / "r.pdf")]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error == [f"aduan: error: -o {tmp_path / 'r.pdf'}: ADUAN_CHROMIUM={tmp_path / 'no-such-browser'} "
                     "is not an executable browser"]
    monkeypatch.delenv("ADUAN_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium on it
    assert main(["ikm", str(FIXTURES / "survey_trend.csv"), "-o", str(tmp_path / "r.pdf")]) == 2
    assert "PDF output needs Chromium, which is not installed" in capsys.readouterr().err
    assert not (tmp_path / "r.pdf").exists()
