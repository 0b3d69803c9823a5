"""IKM reports from an SKM survey table: per group NRR, IKM, grade, sentiment and negative themes.

``build_report`` takes a DataFrame (one row per respondent, answers in ``u1``..``u9``) and never
reads or writes files, so the CLI and the HTTP API share it; ``render_json`` / ``render_csv`` /
``render_html`` turn the result into text.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Callable, Sequence

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel

from classifier import ikm
from classifier.pii import mask_pii
from classifier.predict import TaskNotTrained
from classifier.csv_output import safe_csv
from classifier.tables import DEFAULT_LIMITS
from classifier.themes import ThemeCount, count_themes, states_complaint

SentimentFn = Callable[[list[str]], list[str]]

DEMOGRAPHICS = ("gender", "age", "education", "occupation")
NEGATIVE_LABELS = frozenset({"negative", "negatif", "neg"})
SENTIMENT_ORDER = ("positive", "positif", "neutral", "netral", "negative", "negatif")
BLANK_GROUP = "(tidak diisi)"
# Data rows start on line 2 of a file: line 1 is the header, so that is what `row` counts.
FIRST_ROW = 2
MAX_LISTED = 5
# The HTML lists this many invalid answers; the JSON report has them all.
MAX_HTML_INVALID = 200


class IkmInputError(ValueError):
    """A problem with the survey table, naming the column (and rows) at fault."""


class InvalidAnswer(BaseModel):
    row: int
    column: str
    value: str
    problem: str


class Group(BaseModel):
    key: dict[str, str]
    respondents: int
    nrr: dict[str, float | None]
    nrr_grade: dict[str, str | None]
    valid_answers: dict[str, int]
    invalid_answers: dict[str, int]
    ikm: float | None
    grade: str | None
    mutu: str | None
    weakest_unsur: str | None
    comments: int
    sentiment: dict[str, int] | None
    negative_themes: list[ThemeCount]
    unthemed_comments: int
    demographics: dict[str, dict[str, int]]


class TrendPoint(BaseModel):
    period: str
    respondents: int
    ikm: float | None
    grade: str | None


class SampleCheck(BaseModel):
    population: int
    minimum: int
    respondents: int
    sufficient: bool


class IkmReport(BaseModel):
    weight: str
    by: list[str]
    unsur: dict[str, str]
    respondents: int
    overall: Group
    groups: list[Group]
    trend: list[TrendPoint]
    sample: SampleCheck | None
    themes_from: str
    invalid_answers: list[InvalidAnswer]
    warnings: list[str]


# ---------------------------------------------------------------- input
def _cells(column: pd.Series) -> pd.Series:
    return column.where(column.notna(), "").astype(str).str.strip()


def _prepare(frame: pd.DataFrame, by: Sequence[str], comment_col: str,
             max_columns: int) -> tuple[pd.DataFrame, list[str]]:
    """Lower-cased columns, blank rows dropped, `period` as YYYY-MM; rows indexed by file line."""
    if frame.shape[1] > max_columns:  # before any per-column work: a survey has a few dozen columns
        raise IkmInputError(f"{frame.shape[1]} columns, more than the limit of {max_columns}")
    table = frame.copy()
    table.columns = [str(c).strip().lower() for c in table.columns]
    clashes = sorted(c for c, n in Counter(table.columns).items() if n > 1)
    if clashes:
        raise IkmInputError(f"columns {clashes} appear more than once (names are compared ignoring case)")
    missing = [c for c in ikm.UNSUR if c not in table.columns]
    if missing:
        raise IkmInputError(f"missing answer column(s) {', '.join(missing)}; expected u1..u9, one row per respondent")
    for column in by:
        if column not in table.columns:
            raise IkmInputError(f"--by {column}: no such column (columns: {', '.join(table.columns)})")
    if comment_col != "comment" and comment_col not in table.columns:
        raise IkmInputError(f"comment column {comment_col!r} not found (columns: {', '.join(table.columns)})")
    table.index = range(FIRST_ROW, FIRST_ROW + len(table))
    table = table.apply(_cells)
    warnings = []
    empty = (table == "").all(axis=1)
    if empty.any():
        warnings.append(f"{int(empty.sum())} empty row(s) skipped")
        table = table[~empty]
    if table.empty:
        raise IkmInputError("the survey has no respondents (no non-empty rows)")
    if "period" in table.columns:
        table["period"] = _normalize_periods(table["period"])
    return table, warnings


_ISO = re.compile(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?(?:[ T].*)?")
_DAY_FIRST = re.compile(r"\d{1,2}[/.-](\d{1,2})[/.-](\d{4})")
_MONTH_YEAR = re.compile(r"(\d{1,2})/(\d{4})")


def _period(value: str) -> str | None:
    if m := _ISO.fullmatch(value):
        year, month = m.groups()
    elif m := _DAY_FIRST.fullmatch(value):
        month, year = m.groups()
    elif m := _MONTH_YEAR.fullmatch(value):
        month, year = m.groups()
    else:
        return None
    return f"{year}-{int(month):02d}" if 1 <= int(month) <= 12 else None


def _normalize_periods(values: pd.Series) -> pd.Series:
    periods = values.map(_period)
    bad = periods.isna()
    if bad.any():
        listed = ", ".join(f"row {row} {value!r}" for row, value in values[bad].head(MAX_LISTED).items())
        raise IkmInputError(f"period: {int(bad.sum())} value(s) are not a date (YYYY-MM-DD, DD/MM/YYYY) "
                            f"or YYYY-MM: {listed}")
    return periods


def _answers(table: pd.DataFrame) -> tuple[pd.DataFrame, list[InvalidAnswer]]:
    """Answers as numbers 1–4, NaN where invalid; every invalid cell listed by row and column."""
    answers, invalid = {}, []
    for code in ikm.UNSUR:
        raw = table[code]
        number = pd.to_numeric(raw.str.replace(",", ".", regex=False), errors="coerce")
        valid = number.isin(range(ikm.MIN_ANSWER, ikm.MAX_ANSWER + 1))
        answers[code] = number.where(valid)
        for row, value in raw[~valid].items():
            problem = ("blank" if value == "" else "not a number" if pd.isna(number[row])
                       else f"outside {ikm.MIN_ANSWER}–{ikm.MAX_ANSWER}")
            invalid.append(InvalidAnswer(row=row, column=code, value=value, problem=problem))
    invalid.sort(key=lambda a: (a.row, a.column))
    return pd.DataFrame(answers, index=table.index), invalid


def _sentiment_labels(comments: pd.Series, sentiment: SentimentFn | None) -> tuple[pd.Series | None, str | None]:
    """A label per non-empty comment, or None and the reason when there is no sentiment model."""
    if sentiment is None:
        return None, "no sentiment model"
    texts = comments[comments != ""]
    try:
        labels = list(sentiment(texts.tolist())) if len(texts) else []
    except TaskNotTrained as exc:
        return None, str(exc)
    if len(labels) != len(texts):
        raise ValueError(f"sentiment returned {len(labels)} labels for {len(texts)} comments")
    return pd.Series([str(label).lower() for label in labels], index=texts.index, dtype=object), None


# ---------------------------------------------------------------- per group
AGE_BANDS = ("<20", "20–29", "30–39", "40–49", "50–59", "≥60")


def _age_band(value: str) -> str:
    try:
        age = int(float(value))
    except (ValueError, OverflowError):
        return value or BLANK_GROUP  # already a band such as "20-29", or blank
    return AGE_BANDS[min(max(age // 10 - 1, 0), len(AGE_BANDS) - 1)]


def _ordered(counts: Counter, first: Sequence[str] = ()) -> dict[str, int]:
    """Counts with the labels of ``first`` in that order, then the others alphabetically."""
    head = {label: counts[label] for label in first if label in counts}
    return {**head, **dict(sorted((k, v) for k, v in counts.items() if k not in head))}


def _demographics(rows: pd.DataFrame) -> dict[str, dict[str, int]]:
    out = {}
    for column in DEMOGRAPHICS:
        if column in rows.columns:
            if column == "age":
                out[column] = _ordered(Counter(rows[column].map(_age_band)), AGE_BANDS)
            else:
                out[column] = _ordered(Counter(rows[column].replace("", BLANK_GROUP)))
    return out


def _group(key: dict[str, str], rows: pd.DataFrame, answers: pd.DataFrame, comments: pd.Series,
           labels: pd.Series | None, weight: str) -> Group:
    """One group's figures; ``labels`` are the sentiment labels of all comments of the survey."""
    nrr_raw = {code: (ikm.nrr(answers[code].dropna()) if answers[code].notna().any() else None)
               for code in ikm.UNSUR}
    score = None if None in nrr_raw.values() else ikm.round_ikm(ikm.ikm_score(nrr_raw, weight))
    overall_grade = ikm.grade(score) if score is not None else None
    scored = {code: value for code, value in nrr_raw.items() if value is not None}
    written = comments[comments != ""]
    if labels is None:
        themed, sentiment = written, None
    else:
        mine = labels.reindex(written.index)
        # Negative comments, and any other that states a complaint phrase such as an unofficial fee
        # (classifier/themes.py, Theme.complaint): a flat "ada pungutan di luar biaya resmi" is often neutral.
        negative = mine.isin(NEGATIVE_LABELS)
        stated = pd.Series([not n and states_complaint(t) for t, n in zip(written, negative)], index=written.index,
                           dtype=bool)
        themed = written[negative | stated]
        counts = Counter(mine)
        # Every label of the survey is listed, 0 where this group has none, so that groups line up.
        sentiment = {label: counts[label] for label in _ordered(Counter(labels), SENTIMENT_ORDER)}
    themes, unthemed = count_themes(themed.tolist())
    return Group(
        key=key,
        respondents=len(rows),
        nrr={code: None if v is None else round(v, 3) for code, v in nrr_raw.items()},
        nrr_grade={code: None if v is None else ikm.grade_nrr(v).letter for code, v in nrr_raw.items()},
        valid_answers={code: int(answers[code].notna().sum()) for code in ikm.UNSUR},
        invalid_answers={code: int(answers[code].isna().sum()) for code in ikm.UNSUR},
        ikm=score,
        grade=overall_grade.letter if overall_grade else None,
        mutu=overall_grade.mutu if overall_grade else None,
        weakest_unsur=min(scored, key=scored.get) if scored else None,
        comments=len(written),
        sentiment=sentiment,
        negative_themes=themes,
        unthemed_comments=unthemed,
        demographics=_demographics(rows),
    )


def _describe(key: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in key.items()) or "all respondents"


# ---------------------------------------------------------------- report
def build_report(frame: pd.DataFrame, by: Sequence[str] = (), sentiment: SentimentFn | None = None,
                 weight: str = "exact", population: int | None = None, comment_col: str = "comment",
                 max_columns: int = DEFAULT_LIMITS.max_columns) -> IkmReport:
    """IKM per group of ``by`` columns (and over all respondents) from one row per respondent.

    ``sentiment`` labels comments (positive / neutral / negative); without it, sentiment is null
    and negative themes are keyword matches in all comments. Comments are masked for personal
    data before anything else sees them.
    """
    if weight not in ikm.WEIGHTS:
        raise IkmInputError(f"weight: expected one of {sorted(ikm.WEIGHTS)}, got {weight!r}")
    by = [c.strip().lower() for c in by if c.strip()]
    comment_col = comment_col.strip().lower()
    table, warnings = _prepare(frame, by, comment_col, max_columns)
    answers, invalid = _answers(table)
    comments = (table[comment_col].map(mask_pii) if comment_col in table.columns
                else pd.Series("", index=table.index))
    labels, no_sentiment = _sentiment_labels(comments, sentiment)

    def group(key: dict[str, str], index: pd.Index) -> Group:
        return _group(key, table.loc[index], answers.loc[index], comments.loc[index], labels, weight)

    overall = group({}, table.index)
    if by:
        grouped = table.replace({c: {"": BLANK_GROUP} for c in by}).groupby(by, sort=True)
        groups = [group(dict(zip(by, values)), rows.index) for values, rows in grouped]
    else:
        groups = [overall]
    trend = []
    if "period" in table.columns:
        for period, rows in table.groupby("period", sort=True):
            point = group({"period": period}, rows.index)
            trend.append(TrendPoint(period=period, respondents=point.respondents, ikm=point.ikm, grade=point.grade))

    if comment_col not in table.columns:
        warnings.append(f"no {comment_col!r} column: no sentiment and no negative themes")
    elif no_sentiment:
        warnings.append(f"sentiment not reported ({no_sentiment}); negative themes are keyword "
                        "matches in all comments, positive ones included")
    if invalid:
        per_column = Counter(a.column for a in invalid)
        warnings.append(f"{len(invalid)} invalid answer(s) (blank, not a number or outside 1–4) excluded from "
                        f"their unsur's NRR: " + ", ".join(f"{c} {n}" for c, n in sorted(per_column.items())))
    for g in ([overall] + groups if by else [overall]):
        if g.ikm is None:
            empty = [code for code, n in g.valid_answers.items() if n == 0]
            warnings.append(f"{_describe(g.key)}: no IKM, no valid answer for {', '.join(empty)}")
    sample = None
    if population is not None:
        try:
            minimum = ikm.min_sample_size(population)
        except ValueError as exc:
            raise IkmInputError(str(exc)) from None
        sample = SampleCheck(population=population, minimum=minimum, respondents=overall.respondents,
                             sufficient=overall.respondents >= minimum)
        if not sample.sufficient:
            warnings.append(f"{overall.respondents} respondents, fewer than the minimum sample of {minimum} "
                            f"for a population of {population} (Krejcie–Morgan, 5 % margin)")
    return IkmReport(weight=weight, by=by, unsur=ikm.UNSUR, respondents=overall.respondents, overall=overall,
                     groups=groups, trend=trend, sample=sample,
                     themes_from="all_comments" if labels is None else "negative_comments",
                     invalid_answers=invalid, warnings=warnings)


# ---------------------------------------------------------------- rendering
def render_json(report: IkmReport) -> str:
    return report.model_dump_json(indent=2)


def _themes_cell(themes: list[ThemeCount]) -> str:
    return "; ".join(f"{t.label} ({t.unsur}): {t.comments}" for t in themes)


def render_csv(report: IkmReport) -> str:
    """One row per group (plus an `overall` row when grouped): the figures, not the comments."""
    scoped = ([("overall", report.overall)] if report.by else []) + [("group", g) for g in report.groups]
    labels = list(report.overall.sentiment or {})  # every group lists the same labels
    rows = []
    for scope, g in scoped:
        rows.append({
            "scope": scope,
            **{c: g.key.get(c, "") for c in report.by},
            "respondents": g.respondents,
            "ikm": g.ikm, "grade": g.grade, "mutu": g.mutu,
            **{f"nrr_{code}": g.nrr[code] for code in ikm.UNSUR},
            "weakest_unsur": g.weakest_unsur,
            "invalid_answers": sum(g.invalid_answers.values()),
            "comments": g.comments,
            **{f"sentiment_{label}": g.sentiment[label] for label in labels},
            "negative_themes": _themes_cell(g.negative_themes),
        })
    return safe_csv(pd.DataFrame(rows))


_TEMPLATES = Environment(loader=PackageLoader("classifier", "resources"), autoescape=select_autoescape(["html"]),
                         trim_blocks=True, lstrip_blocks=True)
GRADE_COLORS = {"A": "#2e7d32", "B": "#7cb342", "C": "#f9a825", "D": "#c62828", None: "#9e9e9e"}
# Text on a grade badge: white on the dark A and D colours, near-black on B, C and none (WCAG AA contrast).
BADGE_TEXT = {"A": "#ffffff", "B": "#1b1b1b", "C": "#1b1b1b", "D": "#ffffff", None: "#1b1b1b"}
SENTIMENT_COLORS = {"positive": "#43a047", "positif": "#43a047", "neutral": "#9e9e9e", "netral": "#9e9e9e",
                    "negative": "#e53935", "negatif": "#e53935"}


def _trend_chart(trend: list[TrendPoint], width: int = 640, height: int = 220, pad: int = 36,
                 label_room: int = 84) -> dict | None:
    """Pixel coordinates of the trend points on a 25–100 scale, for the inline SVG.

    The grade lines' labels sit right of the plot, in ``label_room`` pixels of their own: a point's
    value label (above the point) then never lands on one, whichever period is near a grade line.
    """
    points = [p for p in trend if p.ikm is not None]
    if not points:
        return None

    def y(value: float) -> float:
        return round(pad + (100 - value) / 75 * (height - 2 * pad), 1)

    right = width - label_room  # the plot's right edge
    step = (right - pad) / max(len(points) - 1, 1)
    xs = [round(pad + i * step if len(points) > 1 else (pad + right) / 2, 1) for i in range(len(points))]
    return {
        "width": width, "height": height, "pad": pad, "right": right,
        "points": [{"x": x, "y": y(p.ikm), "period": p.period, "ikm": p.ikm, "grade": p.grade}
                   for x, p in zip(xs, points)],
        "bands": [{"y": y(float(bound)), "label": f"{g.letter} ≥ {bound}"} for bound, g in ikm.GRADES[:-1]],
    }


def render_html(report: IkmReport, title: str = "Laporan Indeks Kepuasan Masyarakat") -> str:
    """One self-contained HTML page: inline CSS and SVG, no scripts, no external files."""
    return _TEMPLATES.get_template("ikm_report.html").render(
        report=report, title=title, unsur=ikm.UNSUR, grade_colors=GRADE_COLORS, badge_text=BADGE_TEXT,
        sentiment_colors=SENTIMENT_COLORS, trend=_trend_chart(report.trend), describe=_describe,
        invalid_shown=report.invalid_answers[:MAX_HTML_INVALID],
    )
