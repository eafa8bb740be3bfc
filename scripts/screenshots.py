"""Render an email in headless Chromium at phone and desktop widths, light and dark, and save PNGs.

    python scripts/screenshots.py [COURSE_DIR] [--email 1] [--out docs/screenshots]

Uses Debian's chromium (/usr/bin/chromium) through Playwright; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date
from pathlib import Path

from dripcourse.build import build

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WIDTHS = (375, 600)
SCHEMES = ("light", "dark")


def screenshots(html: Path, out_dir: Path, stem: str) -> list[Path]:
    """One full-page PNG per width and colour scheme; returns their paths."""
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width in WIDTHS:
            for scheme in SCHEMES:
                page = browser.new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)  # type: ignore[arg-type]
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
                page.goto(html.as_uri())
                target = out_dir / f"{stem}-{width}-{scheme}.png"
                page.screenshot(path=str(target), full_page=True)
                page.close()
                saved.append(target)
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("course", nargs="?", default="course", type=Path)
    parser.add_argument("--email", type=int, default=1, help="position of the email (1 = the first)")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        built = Path(scratch) / "out"
        build(args.course, built, date.today())
        html = sorted((built / "emails").glob(f"{args.email:02d}-*.html"))[0]
        for path in screenshots(html, args.out, html.stem):
            print(path)


if __name__ == "__main__":
    main()
