"""An IKM report from the real server, opened in Chromium: its figures equal the JSON form's, no two
labels of the trend chart overlap, numeric headers line up with their numbers, example quotes do not
repeat, axe-core finds no serious problem, and `aduan ikm -o report.pdf` prints it on A4 pages."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from browser_support import axe_violations

FIXTURES = Path(__file__).resolve().parents[2] / "datasets" / "fixtures"
SURVEY = FIXTURES / "survey_trend.csv"
A4_POINTS = (595, 842)


def report(server, form: str) -> httpx.Response:
    answer = httpx.post(f"{server.base}/v1/ikm/reports", params={"format": form}, headers=server.headers("reporting"),
                        files={"file": (SURVEY.name, SURVEY.read_bytes(), "text/csv")}, data={"by": "unit"},
                        timeout=60)
    assert answer.status_code == 200, answer.text
    return answer


def test_the_report_in_chromium_shows_the_figures_of_its_json_form(page, desk_server, artifacts):
    figures = report(desk_server, "json").json()
    html = artifacts / "ikm-report.html"
    html.write_text(report(desk_server, "html").text, encoding="utf-8")
    page.goto(html.as_uri())

    assert page.locator(".card.score .ikm").first.inner_text() == f"{figures['overall']['ikm']:.2f}"
    trend = page.locator("table.trend tr").evaluate_all(
        "rows => rows.slice(1).map(r => [...r.cells].map(c => c.textContent.trim()))")
    assert trend == [[p["period"], str(p["respondents"]), f"{p['ikm']:.2f}", p["grade"]] for p in figures["trend"]]
    groups = page.locator(".card.group")
    assert groups.count() == len(figures["groups"]) == 2
    for index, group in enumerate(figures["groups"]):
        card = groups.nth(index)
        assert card.locator("h3").first.inner_text() == f"unit={group['key']['unit']} · {group['respondents']} responden"
        assert card.locator(".ikm").inner_text() == f"{group['ikm']:.2f}"
        nrr = card.locator("table").first.locator("tr").evaluate_all(
            "rows => rows.slice(1).map(r => r.cells[1].textContent.trim())")
        assert nrr == [f"{group['nrr'][f'u{i}']:.3f}" for i in range(1, 10)]
        for theme in card.locator("table.themes tr").evaluate_all(
                "rows => rows.slice(1).map(r => r.cells[4].innerText.split('\\n'))"):
            assert len(theme) == len(set(theme))  # no example quoted twice in one theme
    fee = figures["groups"][1]
    assert fee["weakest_unsur"] == "u4" and "u4" in [t["unsur"] for t in fee["negative_themes"]]
    page.screenshot(path=str(artifacts / "ikm-report.png"), full_page=True)


def test_chart_labels_do_not_overlap_and_numeric_columns_line_up(page, desk_server):
    html = report(desk_server, "html").text
    page.set_content(html)
    boxes = page.locator("svg text").evaluate_all(
        "texts => texts.map(t => { const b = t.getBoundingClientRect(); "
        "return [t.textContent, b.left, b.top, b.right, b.bottom]; })")
    assert len(boxes) >= 4 * 2 + 3  # value and period label per point, one label per grade line
    for i, (a, *box_a) in enumerate(boxes):
        for b, *box_b in boxes[i + 1:]:
            apart = (box_a[2] <= box_b[0] or box_b[2] <= box_a[0] or box_a[3] <= box_b[1] or box_b[3] <= box_a[1])
            assert apart, f"{a!r} overlaps {b!r}"
    for table in ("table.trend", ".card.group table"):
        edges = page.locator(table).first.evaluate(
            """t => [...t.rows[0].cells].map((th, i) => th.classList.contains('num') ?
                 [th.getBoundingClientRect().right, ...[...t.rows].slice(1).map(r => r.cells[i].getBoundingClientRect().right)]
                 : null).filter(Boolean)""")
        assert edges, table
        for column in edges:
            assert max(column) - min(column) < 1, (table, column)


def test_the_report_passes_axe(page, desk_server):
    page.set_content(report(desk_server, "html").text)
    assert axe_violations(page) == []


def test_aduan_ikm_prints_the_report_to_a4_pdf(desk_server, artifacts):
    output = artifacts / "ikm-report.pdf"
    output.unlink(missing_ok=True)
    env = {**os.environ, "ADUAN_MODELS_DIR": str(desk_server.root / "models"),
           "ADUAN_CHROMIUM": os.environ.get("ADUAN_TEST_CHROMIUM", "/usr/bin/chromium")}
    run = subprocess.run([sys.executable, "-m", "aduan.cli", "ikm", str(SURVEY), "--by", "unit", "-o", str(output)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    pdf = output.read_bytes()
    assert pdf.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    # The first page (IKM, trend), then each of the two units from a page of its own.
    assert len(boxes) >= 3
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {A4_POINTS}
