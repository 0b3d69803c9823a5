"""HTML → PDF by printing it with a headless Chromium installed on the machine (`aduan ikm -o X.pdf`).

The report's own print CSS (A4, a page per unit) lays the pages out; Chromium prints exactly what a
person would print from the browser. Nothing is downloaded: the browser is ``$ADUAN_CHROMIUM`` or the
first of ``chromium``, ``chromium-browser``, ``google-chrome`` on PATH (Debian: ``apt-get install
chromium``). The page is a local file whose own Content-Security-Policy allows no script and no
outside request: it is printed offline.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSER_ENV = "ADUAN_CHROMIUM"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_SECONDS = 120
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
         "--no-pdf-header-footer")


class PdfUnavailable(RuntimeError):
    """No Chromium to print with, or it failed; the message says which and what to do."""


def find_chromium() -> str:
    """The browser to print with, else PdfUnavailable naming how to install or point to one."""
    configured = os.environ.get(BROWSER_ENV)
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise PdfUnavailable(f"{BROWSER_ENV}={configured} is not an executable browser")
        return found
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    raise PdfUnavailable("PDF output needs Chromium, which is not installed (Debian/Ubuntu: apt-get install "
                         f"chromium; or set {BROWSER_ENV}); write .html instead and print it from a browser")


def html_to_pdf(html: str, output: Path, browser: str | None = None) -> None:
    """Print ``html`` to the PDF file ``output`` with headless Chromium."""
    browser = browser or find_chromium()
    with tempfile.TemporaryDirectory(prefix="aduan-pdf-") as tmp:
        page, printed = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [browser, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={printed}",
                   page.as_uri()]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=PRINT_SECONDS)
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(f"Chromium did not finish printing within {PRINT_SECONDS} s") from None
        if result.returncode != 0 or not printed.is_file() or printed.stat().st_size == 0:
            last = (result.stderr.strip().splitlines() or ["no message"])[-1][:300]
            raise PdfUnavailable(f"Chromium could not print the report (exit {result.returncode}): {last}")
        shutil.move(printed, output)
