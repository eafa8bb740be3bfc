"""Compare main-content extractors on the saved pages of the importer corpus.

    python bench/html_extractors.py [tuning|holdout] [--repeat N]

For each extractor that is installed (trafilatura, readability-lxml, justext) it reports, over the corpus's .html
files: precision and recall of the headings it keeps, how many clutter strings leak through, how many must-keep
strings (emphasis and links as Markdown) survive, and the mean time per page. The JSON beside each page is the
judge (see tests/corpus/README.md); the extractors' raw output is scored the same way for all of them.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lxml.html

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus"
NUMBERING = re.compile(r"^(?:(?:step|tip|reason|rule|ritual|part|mistake)\s*)?#?\d{1,2}\s*[.):\-–—]?\s+", re.I)


def key(text: str) -> str:
    text = NUMBERING.sub("", text.strip().strip("*").strip())
    return re.sub(r"[^a-z0-9]+", " ", text.lower().replace("’", "'")).strip()


def inline_markdown(element: lxml.html.HtmlElement) -> str:
    """Text of an element with <strong>/<b>, <em>/<i> and <a href> as Markdown (readability's output is HTML)."""
    parts = [element.text or ""]
    for child in element:
        inner = inline_markdown(child)
        if child.tag in ("strong", "b") and inner.strip():
            inner = f"**{inner.strip()}**"
        elif child.tag in ("em", "i") and inner.strip():
            inner = f"*{inner.strip()}*"
        elif child.tag == "a" and child.get("href") and inner.strip():
            inner = f"[{inner.strip()}]({child.get('href')})"
        parts += [inner, child.tail or ""]
    return re.sub(r"\s+", " ", "".join(parts))


def html_to_markdown(html: str) -> str:
    root = lxml.html.fromstring(html)
    lines = []
    for element in root.iter("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote"):
        text = inline_markdown(element).strip()
        if not text:
            continue
        tag = str(element.tag)
        lines.append(("#" * int(tag[1]) + " " + text) if tag[0] == "h" else ("- " + text if tag == "li" else text))
    return "\n\n".join(lines)


def with_trafilatura(html: str) -> str:
    import trafilatura

    return (
        trafilatura.extract(
            html, output_format="markdown", include_formatting=True, include_links=True, include_comments=False
        )
        or ""
    )


def with_readability(html: str) -> str:
    from readability import Document

    return html_to_markdown(Document(html).summary(html_partial=True))


def with_justext(html: str) -> str:
    import justext

    paragraphs = justext.justext(html.encode(), justext.get_stoplist("English"))
    return "\n\n".join(("## " if p.heading else "") + p.text for p in paragraphs if not p.is_boilerplate)


EXTRACTORS: dict[str, Callable[[str], str]] = {
    "trafilatura": with_trafilatura,
    "readability-lxml": with_readability,
    "justext": with_justext,
}


def headings_in(markdown: str, title: str) -> list[str]:
    found = []
    for line in markdown.splitlines():
        line = line.strip()
        heading = re.match(r"^#{1,6}\s+(.*)$", line) or re.match(r"^\*\*([^*]{1,120})\*\*:?$", line)
        if heading and key(heading.group(1)) != key(title):
            found.append(key(heading.group(1)))
    return found


def main() -> int:
    part = next((a for a in sys.argv[1:] if a in ("tuning", "holdout")), "tuning")
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3
    pages = sorted((CORPUS / part).glob("*.html"))
    print(f"{len(pages)} saved pages in tests/corpus/{part}/\n")
    print(
        f"{'extractor':<18}{'precision':>10}{'recall':>8}{'clutter leaked':>16}{'kept (md)':>11}"
        f"{'kept (text)':>13}{'ms/page':>9}"
    )
    for name, extract in EXTRACTORS.items():
        try:
            extract("<p>warm-up</p>")
        except ImportError:
            print(f"{name:<18}not installed")
            continue
        hits = found_total = expected_total = leaked = clutter = kept_md = kept_text = kept_total = 0
        elapsed = 0.0
        for page in pages:
            html = page.read_text(encoding="utf-8")
            truth = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
            start = time.perf_counter()
            for _ in range(repeat):
                markdown = extract(html)
            elapsed += (time.perf_counter() - start) / repeat
            found = headings_in(markdown, truth["title"])
            expected = [key(h) for h in truth["headings"]]
            remaining = list(expected)
            for heading in found:
                if heading in remaining:
                    remaining.remove(heading)
                    hits += 1
            found_total += len(found)
            expected_total += len(expected)
            leaked += sum(1 for text in truth["dropped"] if text in markdown)
            clutter += len(truth["dropped"])
            plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown).replace("*", "")
            kept_md += sum(1 for text in truth["kept"] if text in markdown)
            kept_text += sum(
                1 for text in truth["kept"] if re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).replace("*", "") in plain
            )
            kept_total += len(truth["kept"])
        precision = hits / found_total if found_total else 0.0
        recall = hits / expected_total if expected_total else 0.0
        print(
            f"{name:<18}{precision:>10.3f}{recall:>8.3f}{f'{leaked}/{clutter}':>16}{f'{kept_md}/{kept_total}':>11}"
            f"{f'{kept_text}/{kept_total}':>13}{1000 * elapsed / len(pages):>9.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
