"""IKM survey reports: figures per group, invalid answers, sentiment and themes, renderers, CLI.

The fixture `survey_skm.csv` (written by hand) has two units of five respondents over two months,
four invalid answers and comments carrying a phone number and an email address.
"""
import io
import json
from datetime import datetime

import pandas as pd
import pytest

from aduan.cli import main
from classifier.ikm import UNSUR
from classifier.ikm_report import IkmInputError, build_report, render_csv, render_html, render_json
from classifier.predict import LabelScore, TaskNotTrained, TaskPrediction
from training.readers import read_table

NEGATIVE_WORDS = ("lama", "kotor", "tidak ditanggapi", "berbelit", "pungli", "kurang")
POSITIVE_WORDS = ("puas", "ramah", "cepat")


def keyword_sentiment(texts: list[str]) -> list[str]:
    """A stand-in for the sentiment model: enough to check how the report uses the labels."""
    labels = []
    for text in map(str.lower, texts):
        if any(w in text for w in NEGATIVE_WORDS):
            labels.append("negative")
        elif any(w in text for w in POSITIVE_WORDS):
            labels.append("positive")
        else:
            labels.append("neutral")
    return labels


@pytest.fixture
def survey(fixtures_dir) -> pd.DataFrame:
    return read_table(fixtures_dir / "survey_skm.csv")


@pytest.fixture
def report(survey):
    return build_report(survey, by=["unit"], sentiment=keyword_sentiment)


def group(report, **key):
    [found] = [g for g in report.groups if g.key == key]
    return found


def answers(**columns) -> dict:
    """One respondent row: every unsur answered 4 unless given."""
    return {**{code: "4" for code in UNSUR}, **columns}


# ---------------------------------------------------------------- figures
def test_ikm_per_unit_matches_hand_arithmetic(report):
    sukamaju = group(report, unit="Kecamatan Sukamaju")
    # u4 has a 0 (invalid): its mean is over the 4 valid answers.
    expected = (18 / 5 + 18 / 5 + 13 / 5 + 16 / 4 + 18 / 5 + 17 / 5 + 16 / 5 + 15 / 5 + 14 / 5) / 9 * 25  # 82.777…
    assert sukamaju.respondents == 5
    assert sukamaju.ikm == round(expected, 2) == 82.78
    assert (sukamaju.grade, sukamaju.mutu) == ("B", "Baik")
    assert sukamaju.nrr["u3"] == 2.6 and sukamaju.nrr["u4"] == 4.0
    assert sukamaju.nrr_grade["u3"] == "C"  # 2.6 × 25 = 65.00
    assert sukamaju.weakest_unsur == "u3"

    mekarsari = group(report, unit="Kelurahan Mekarsari")
    # u4 has a 5, u6 a text answer and u9 a blank: each mean is over 4 answers.
    expected = (15 / 5 + 15 / 5 + 14 / 5 + 15 / 4 + 16 / 5 + 13 / 4 + 16 / 5 + 16 / 5 + 13 / 4) / 9 * 25  # 79.583…
    assert mekarsari.ikm == 79.58 == round(expected, 2)
    assert mekarsari.valid_answers["u6"] == 4 and mekarsari.invalid_answers["u6"] == 1


def test_overall_group_covers_every_respondent(report):
    assert report.respondents == report.overall.respondents == 10
    # NRR over all ten: u4 has 8 valid answers (16 + 15), u9 has 9 (14 + 13).
    assert report.overall.nrr["u4"] == round(31 / 8, 3)
    assert report.overall.nrr["u9"] == 3.0


def test_without_grouping_the_single_group_is_everyone(survey):
    report = build_report(survey)
    assert len(report.groups) == 1
    assert report.groups[0].key == {} and report.groups[0].ikm == report.overall.ikm


def test_weight_0_111_against_exact_on_an_all_4_survey():
    frame = pd.DataFrame([answers(), answers()])
    assert build_report(frame).overall.ikm == 100.0
    assert build_report(frame, weight="0.111").overall.ikm == 99.9  # 4 × 0.111 × 9 × 25


def test_invalid_answers_are_listed_by_row_and_column_and_left_out_of_the_mean(report):
    listed = [(a.row, a.column, a.value, a.problem) for a in report.invalid_answers]
    assert listed == [  # row = line in the file, the header being line 1
        (6, "u4", "0", "outside 1–4"),
        (9, "u4", "5", "outside 1–4"),
        (11, "u6", "baik", "not a number"),
        (11, "u9", "", "blank"),
    ]
    assert any("4 invalid answer(s)" in w and "u4 2" in w for w in report.warnings)


def test_an_unsur_without_any_valid_answer_gives_no_ikm_and_says_why():
    frame = pd.DataFrame([answers(u5=""), answers(u5="9")])
    report = build_report(frame)
    assert report.overall.ikm is None and report.overall.grade is None
    assert report.overall.nrr["u5"] is None
    assert any("no valid answer for u5" in w for w in report.warnings)


def test_periods_are_normalized_to_year_month_and_give_a_trend(survey):
    report = build_report(survey, by=["period"])
    assert [g.key["period"] for g in report.groups] == ["2024-01", "2024-02"]
    assert [(p.period, p.respondents) for p in report.trend] == [("2024-01", 6), ("2024-02", 4)]
    assert [p.ikm for p in report.trend] == [g.ikm for g in report.groups]


def test_grouping_by_unit_and_period(survey):
    report = build_report(survey, by=["unit", "period"])
    assert len(report.groups) == 4
    assert group(report, unit="Kecamatan Sukamaju", period="2024-02").respondents == 2


def test_sample_size_warning_only_below_the_minimum(survey):
    small = build_report(survey, population=100)
    assert (small.sample.minimum, small.sample.sufficient) == (80, False)
    assert any("minimum sample of 80" in w for w in small.warnings)
    enough = build_report(survey, population=10)
    assert (enough.sample.minimum, enough.sample.sufficient) == (10, True)
    assert not any("minimum sample" in w for w in enough.warnings)


def test_demographics_are_counted_per_group(report):
    demographics = group(report, unit="Kelurahan Mekarsari").demographics
    assert demographics["gender"] == {"L": 2, "P": 3}
    assert list(demographics["age"]) == ["20–29", "30–39", "40–49", "50–59"]


# ---------------------------------------------------------------- comments
def test_sentiment_counts_and_negative_themes_tied_to_unsur(report):
    sukamaju = group(report, unit="Kecamatan Sukamaju")
    assert sukamaju.comments == 4  # one respondent left no comment
    assert sukamaju.sentiment == {"positive": 1, "neutral": 0, "negative": 3}
    themes = {t.key: t for t in sukamaju.negative_themes}
    assert {t.unsur for t in themes.values()} == {"u3", "u7", "u8", "u9"}
    assert themes["waktu"].phrases == {"antri": 1, "lama": 1}
    # the positive comment about a friendly officer is not counted as a complaint about officers
    assert themes["perilaku"].comments == 1
    assert report.themes_from == "negative_comments"


def test_themes_understand_slang_negation_and_enclitics():
    frame = pd.DataFrame([answers(comment="laporan sy gak ditanggapi"), answers(comment="Syaratnya ribet bgt")])
    report = build_report(frame, sentiment=lambda texts: ["negative"] * len(texts))
    assert {t.unsur for t in report.overall.negative_themes} == {"u9", "u1", "u2"}


def test_personal_data_is_masked_in_every_rendering(report):
    for text in (render_json(report), render_csv(report), render_html(report)):
        assert "0812" not in text and "budi@contoh.id" not in text
    examples = [e for t in group(report, unit="Kecamatan Sukamaju").negative_themes for e in t.examples]
    assert any("[telepon]" in e for e in examples)


def test_without_sentiment_themes_come_from_all_comments_and_the_report_says_so(survey):
    report = build_report(survey, by=["unit"])
    assert report.overall.sentiment is None
    assert report.themes_from == "all_comments"
    assert any("sentiment not reported" in w for w in report.warnings)
    # now the positive "petugas ramah" comment is matched too
    assert {t.key: t.comments for t in group(report, unit="Kecamatan Sukamaju").negative_themes}["perilaku"] == 2


def test_a_model_without_sentiment_task_falls_back_with_a_warning(survey):
    def untrained(texts):
        raise TaskNotTrained("model v1 has no sentiment model")

    report = build_report(survey, sentiment=untrained)
    assert report.overall.sentiment is None
    assert any("model v1 has no sentiment model" in w for w in report.warnings)


def test_comment_column_can_be_renamed(survey):
    report = build_report(survey.rename(columns={"comment": "saran"}), comment_col="saran",
                          sentiment=keyword_sentiment)
    assert report.overall.comments == 9
    assert report.overall.sentiment["negative"] == 6


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("change, message", [
    (lambda f: f.drop(columns=["u7"]), r"missing answer column\(s\) u7;"),
    (lambda f: f.head(0), "no respondents"),
    (lambda f: f.assign(period=["2024-13"] + list(f["period"][1:])), r"period: 1 value\(s\) .* row 2 '2024-13'"),
])
def test_bad_tables_raise_one_error_naming_the_column(survey, change, message):
    with pytest.raises(IkmInputError, match=message):
        build_report(change(survey))


def test_unknown_grouping_or_comment_column_is_named(survey):
    with pytest.raises(IkmInputError, match="--by kota: no such column"):
        build_report(survey, by=["kota"])
    with pytest.raises(IkmInputError, match="comment column 'saran' not found"):
        build_report(survey, comment_col="saran")


def test_column_names_are_matched_ignoring_case(survey):
    shouting = survey.rename(columns={c: c.upper() for c in survey.columns})
    assert build_report(shouting, by=["Unit"]).overall.ikm == build_report(survey).overall.ikm


def test_xlsx_with_numeric_cells_and_real_dates_gives_the_same_report(survey, tmp_path):
    excel = survey.copy()
    excel["u1"] = excel["u1"].astype(int)
    excel["period"] = [datetime(2024, 1, 15)] * 6 + [datetime(2024, 2, 3)] * 4
    path = tmp_path / "survey.xlsx"
    excel.to_excel(path, index=False)
    report = build_report(read_table(path), by=["unit"])
    assert report.overall.ikm == build_report(survey, by=["unit"]).overall.ikm
    assert [p.period for p in report.trend] == ["2024-01", "2024-02"]


# ---------------------------------------------------------------- renderers
def test_json_report_has_the_documented_fields(report):
    data = json.loads(render_json(report))
    assert {"invalid_answers", "warnings", "groups", "overall", "trend"} <= set(data)
    first = data["groups"][0]
    assert {"respondents", "nrr", "ikm", "grade", "mutu", "weakest_unsur", "sentiment", "negative_themes"} <= set(first)
    assert list(first["nrr"]) == list(UNSUR)


def test_csv_has_an_overall_row_and_one_row_per_group(report):
    table = pd.read_csv(io.StringIO(render_csv(report)))
    assert list(table["scope"]) == ["overall", "group", "group"]
    assert list(table["ikm"]) == [report.overall.ikm, 82.78, 79.58]
    assert {"nrr_u1", "nrr_u9", "sentiment_negative", "negative_themes"} <= set(table.columns)


def test_html_is_self_contained_and_escapes_comments(survey):
    survey.loc[0, "comment"] = "<script>alert(1)</script> antri lama"
    html = render_html(build_report(survey, by=["unit"], sentiment=keyword_sentiment))
    for external in ("<script", "<link", "src=", "http://", "https://", "@import"):
        assert external not in html
    assert "&lt;script&gt;" in html
    assert "<svg" in html  # the trend across periods
    assert "82.78" in html and "Kecamatan Sukamaju" in html


# ---------------------------------------------------------------- command line
@pytest.fixture
def no_models(tmp_path, monkeypatch):
    monkeypatch.setenv("ADUAN_MODELS_DIR", str(tmp_path / "models"))


def test_cli_writes_each_format_and_warns_once_about_missing_sentiment(fixtures_dir, tmp_path, no_models, capsys):
    for suffix in ("json", "csv", "html"):
        out = tmp_path / f"report.{suffix}"
        assert main(["ikm", str(fixtures_dir / "survey_skm.csv"), "--by", "unit,period", "-o", str(out)]) == 0
        assert out.stat().st_size > 0
        stderr = capsys.readouterr().err
        assert sum("sentiment not reported" in line for line in stderr.splitlines()) == 1
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["by"] == ["unit", "period"] and data["overall"]["sentiment"] is None


def test_cli_weight_and_population_options(fixtures_dir, no_models, capsys):
    assert main(["ikm", str(fixtures_dir / "survey_skm.csv"), "--weight", "0.111", "--population", "500"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["weight"] == "0.111" and data["sample"]["minimum"] == 218  # 480.125 / 2.20775 = 217.47
    assert "fewer than the minimum sample of 218" in captured.err


def test_cli_uses_the_model_sentiment(fixtures_dir, monkeypatch, capsys):
    class FakeModel:
        def sentiment(self, texts):
            return [TaskPrediction(label, 0.9, [LabelScore(label, 0.9)]) for label in keyword_sentiment(texts)]

    monkeypatch.setattr("aduan.cli.resolve_model", lambda path: "models/fake")
    monkeypatch.setattr("aduan.cli.load_model", lambda path: FakeModel())
    assert main(["ikm", str(fixtures_dir / "survey_skm.csv")]) == 0
    assert json.loads(capsys.readouterr().out)["overall"]["sentiment"] == {"positive": 2, "neutral": 1, "negative": 6}


@pytest.mark.parametrize("args, message", [
    (["--by", "kota"], "--by kota: no such column"),
    (["-o", "report.docx"], "unsupported output type '.docx'"),
    (["--population", "0"], "population"),
])
def test_cli_bad_input_is_one_line_on_stderr(fixtures_dir, no_models, capsys, args, message):
    assert main(["ikm", str(fixtures_dir / "survey_skm.csv"), *args]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("aduan: error")]
    assert len(lines) == 1 and message in lines[0]
