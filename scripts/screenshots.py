"""Screenshots of every email (600 and 375 px, light and dark) and of the preview, with each email's height.

    python scripts/screenshots.py [COURSE_DIR] [--out docs/screenshots] [--heights-only]

Every email is shot full length as a reader scrolls it, in the system's light and dark colour scheme (dark
applies the theme's own dark styles, as Apple Mail does). The preview is shot at 1440 x 900: the Email tab, the
Inbox tab, an email in Gmail's forced dark mode, the last email chosen (the list scrolled, the toolbar in place),
and the send-test field as `dripcourse serve` shows it. Pictures this script saved before that the course no longer
has (an email renamed or removed) are deleted. Uses Debian's chromium (/usr/bin/chromium) through Playwright;
nothing is downloaded and no page may reach the network.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

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
WIDTHS = (600, 375)
SCHEMES = ("light", "dark")
PREVIEW_SIZE = {"width": 1440, "height": 900}
# The names this script gives its pictures: only files named so are ever deleted as stale.
OWN_NAMES = re.compile(rf"(\d+-[a-z0-9-]+-({'|'.join(map(str, WIDTHS))})-({'|'.join(SCHEMES)})|preview-[a-z-]+)\.png")


def offline_page(browser: Any, **options: Any) -> Any:
    page = browser.new_page(**options)
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    return page


def shoot_emails(browser: Any, emails: list[Path], out_dir: Path | None) -> dict[str, dict[int, int]]:
    """Full-page PNGs per email, width and scheme (when out_dir is given); returns the heights in CSS pixels."""
    heights: dict[str, dict[int, int]] = {}
    for html in emails:
        for width in WIDTHS:
            for scheme in SCHEMES:
                page = offline_page(browser, viewport={"width": width, "height": 800}, color_scheme=scheme)
                page.goto(html.as_uri())
                heights.setdefault(html.stem, {})[width] = page.evaluate("document.documentElement.scrollHeight")
                if out_dir:
                    page.screenshot(path=str(out_dir / f"{html.stem}-{width}-{scheme}.png"), full_page=True)
                page.close()
    return heights


def wait_for_frame(page: Any) -> None:
    page.wait_for_function(
        "() => { const d = document.getElementById('email-frame').contentDocument;"
        " return d && d.readyState === 'complete' && d.querySelector('table'); }"
    )


def shoot_preview(browser: Any, index: Path, stems: list[str], out_dir: Path) -> list[Path]:
    middle = stems[len(stems) // 2]
    shots: list[tuple[str, str, dict[str, str]]] = [
        ("preview-index.png", f"#{stems[0]}", {}),
        ("preview-inbox.png", f"#{middle}", {"tab": "#tab-inbox"}),
        ("preview-forced-dark.png", f"#{middle}", {"scheme": "full", "width": "#width-375"}),
        ("preview-last-email.png", f"#{stems[0]}", {"click": f"#item-{stems[-1]}", "width": "#width-375"}),
        ("preview-send-test.png", f"#{stems[0]}", {"serve": "reader@example.org"}),
    ]
    saved = []
    for name, fragment, actions in shots:
        page = offline_page(browser, viewport=PREVIEW_SIZE)
        page.goto(index.as_uri() + fragment)
        if "serve" in actions:
            # What `dripcourse serve` adds to the page: the send-test field (the server is not running here).
            page.evaluate("dripcourseEnableSend('/__dripcourse/send-test', '')")
            page.fill("#send-to", actions["serve"])
        if "click" in actions:
            page.click(actions["click"])
        if "width" in actions:
            page.click(actions["width"])
        if "scheme" in actions:
            page.select_option("#scheme", actions["scheme"])
        if "tab" in actions:
            page.click(actions["tab"])
        else:
            wait_for_frame(page)
        page.wait_for_timeout(200)
        page.screenshot(path=str(out_dir / name))
        page.close()
        saved.append(out_dir / name)
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("course", nargs="?", default="course", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--heights-only", action="store_true", help="measure the emails, save no pictures")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        built = Path(scratch) / "out"
        build(args.course, built, date.today())
        emails = sorted((built / "emails").glob("*.html"))
        out_dir = None if args.heights_only else args.out
        if out_dir:
            out_dir.mkdir(parents=True, exist_ok=True)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        before = {p for p in out_dir.iterdir() if OWN_NAMES.fullmatch(p.name)} if out_dir else set()
        heights = shoot_emails(browser, emails, out_dir)
        if out_dir:
            saved = shoot_preview(browser, built / "index.html", [p.stem for p in emails], out_dir)
            saved += [out_dir / f"{e.stem}-{w}-{s}.png" for e in emails for w in WIDTHS for s in SCHEMES]
            for path in sorted(before - set(saved)):
                path.unlink()
                print(f"deleted stale {path}")
            print(f"saved {len(saved)} pictures in {out_dir}/")
        browser.close()
    print(f"{'email':<32}" + "".join(f"{f'{w} px':>10}" for w in WIDTHS))
    for stem, by_width in heights.items():
        print(f"{stem:<32}" + "".join(f"{by_width[w]:>10,}" for w in WIDTHS))
    print(f"{'longest':<32}" + "".join(f"{max(h[w] for h in heights.values()):>10,}" for w in WIDTHS))


if __name__ == "__main__":
    main()
