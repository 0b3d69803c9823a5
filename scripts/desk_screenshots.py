"""The README's pictures of the desk page and of an IKM report, taken in Debian's Chromium.

    python scripts/desk_screenshots.py MODELS_DIR [SENTIMENT_MODEL_DIR]

Starts a real `aduan serve` of MODELS_DIR (the one under tests/hostile/server_support.py, on a free
127.0.0.1 port, its own SQLite file), classifies the complaints below (written for the pictures),
signs in with a desk key and saves the queue; the report is that of
datasets/fixtures/survey_trend.csv by unit, its comments labelled by SENTIMENT_MODEL_DIR when given
(else by the served model, if it has a sentiment task). PNGs go to docs/img/, reduced to 256 colours.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx
import pandas as pd
from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "hostile")]
from server_support import start_server, stop_server  # noqa: E402

from classifier.ikm_report import build_report, render_html  # noqa: E402
from classifier.predict import load_model  # noqa: E402
from serving.db.session import make_engine, make_session_factory  # noqa: E402
from serving.keys import create_key  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
COMPLAINTS = (
    ("Kabel listrik PLN menjuntai rendah di gang masuk, anak-anak sering lewat. Mohon segera ditangani, "
     "hubungi 081234567890", "Airlangga"),
    ("Saluran air depan rumah mampet, kalau hujan air meluap ke jalan", "Gubeng"),
    ("Sampah di TPS pasar sudah tiga hari tidak diangkut, baunya sampai ke rumah warga", "Tegalsari"),
    ("Lampu PJU di perempatan mati sejak minggu lalu, jalan jadi gelap", "Kertajaya"),
    ("Mohon info cara mengurus akta kelahiran anak yang hilang", "Ketabang"),
)


def small_png(path: Path) -> None:
    image = Image.open(path).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def report_html(server, survey: Path, sentiment_model: Path | None) -> str:
    if sentiment_model is not None:
        model = load_model(sentiment_model)
        frame = pd.read_csv(survey, dtype=str, keep_default_na=False)
        return render_html(build_report(frame, by=["unit"],
                                        sentiment=lambda texts: [p.label for p in model.sentiment(texts)]))
    report = httpx.post(f"{server.base}/v1/ikm/reports", params={"format": "html"},
                        headers=server.headers("reporting"), data={"by": "unit"}, timeout=120,
                        files={"file": (survey.name, survey.read_bytes(), "text/csv")})
    report.raise_for_status()
    return report.text


def desk_key(server) -> str:
    engine = make_engine(f"sqlite:///{server.root / 'server.db'}")
    try:
        with make_session_factory(engine)() as session:
            return create_key(session, ["desk"], name="Meja 1").key
    finally:
        engine.dispose()


def main(models_dir: Path, sentiment_model: Path | None, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    survey = ROOT / "datasets" / "fixtures" / "survey_trend.csv"
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "server", models_dir)
        try:
            for text, kelurahan in COMPLAINTS:
                httpx.post(f"{server.base}/v1/complaints/classify", headers=server.headers("desk"),
                           json={"text": text, "kelurahan": kelurahan}, timeout=60).raise_for_status()
            report = report_html(server, survey, sentiment_model)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 860})
                page.goto(f"{server.base}/desk")
                page.get_by_label("Kunci API").fill(desk_key(server))
                page.get_by_role("button", name="Masuk").click()
                page.wait_for_url(f"{server.base}/desk")
                page.screenshot(path=str(out / "desk-queue.png"))
                page = browser.new_page(viewport={"width": 1000, "height": 1100})  # not under the desk's CSP
                page.set_content(report)
                page.screenshot(path=str(out / "ikm-report.png"))
                browser.close()
        finally:
            stop_server(server)
    for name in ("desk-queue.png", "ikm-report.png"):
        small_png(out / name)
        print(out / name, (out / name).stat().st_size, "bytes")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python scripts/desk_screenshots.py MODELS_DIR [SENTIMENT_MODEL_DIR]")
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) == 3 else None, ROOT / "docs" / "img")
