"""Time a cold `dripcourse build` of the shipped course against the MJML CLI rendering eight emails of the same text.

    (cd bench/mjml && npm ci) && python bench/mjml_bench.py [--runs 9]

Both are timed as whole processes, in alternation, so a busy machine slows both alike; dripcourse byte-compiled
first, as an installed copy is (see build_bench.py). The MJML input is made
from the built course: one `.mjml` file per email holding that email's own text (headings, paragraphs, list items,
its button), in MJML's standard section/column/text structure, so both tools lay out the same volume of text.
"""

from __future__ import annotations

import argparse
import html
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from build_bench import compiled_like_an_install

REPO = Path(__file__).resolve().parents[1]
MJML = REPO / "bench" / "mjml" / "node_modules" / ".bin" / "mjml"


def mjml_document(subject: str, text: str) -> str:
    """An MJML email from a text part: blank-line blocks become text blocks, underlined lines headings."""
    blocks = []
    for block in text.split("\n\n"):
        lines = block.strip().splitlines()
        if not lines:
            continue
        if len(lines) == 2 and set(lines[1]) <= {"=", "-"}:
            blocks.append(f'<mj-text font-size="22px" font-weight="700">{html.escape(lines[0])}</mj-text>')
        else:
            blocks.append(f"<mj-text>{html.escape(' '.join(lines))}</mj-text>")
    body = "\n".join(blocks)
    return f"""<mjml>
  <mj-head>
    <mj-title>{html.escape(subject)}</mj-title>
    <mj-preview>{html.escape(subject)}</mj-preview>
    <mj-attributes><mj-all font-family="Georgia, serif" /><mj-text font-size="18px" line-height="1.6" /></mj-attributes>
  </mj-head>
  <mj-body width="600px">
    <mj-section><mj-column>
{body}
      <mj-button href="https://example.com/next" background-color="#2f6b4f">Open the next lesson</mj-button>
    </mj-column></mj-section>
  </mj-body>
</mjml>
"""


def write_mjml_inputs(out: Path, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    inputs = []
    for text_file in sorted((out / "emails").glob("*.txt")):
        text = text_file.read_text(encoding="utf-8")
        path = folder / f"{text_file.stem}.mjml"
        path.write_text(mjml_document(text_file.stem, text), encoding="utf-8")
        inputs.append(path)
    return inputs


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def summary(name: str, times: list[float]) -> str:
    return f"{name:<22} min {min(times):.3f} s  median {statistics.median(times):.3f} s  max {max(times):.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    if not MJML.exists():
        sys.exit("MJML is not installed: run (cd bench/mjml && npm ci) first")
    compiled_like_an_install()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        build = [sys.executable, "-m", "dripcourse", "build", str(REPO / "course"), "--out"]
        subprocess.run([*build, str(root / "reference")], check=True, capture_output=True)
        inputs = [str(p) for p in write_mjml_inputs(root / "reference", root / "mjml-in")]
        ours: list[float] = []
        theirs: list[float] = []
        for run in range(args.runs):
            ours.append(timed([*build, str(root / f"out{run}")]))
            (root / f"mjml-out{run}").mkdir()
            theirs.append(timed([str(MJML), *inputs, "-o", str(root / f"mjml-out{run}")]))
    print(f"{len(inputs)} emails, {args.runs} alternating runs, whole processes")
    print(summary("dripcourse build", ours))
    print(summary("mjml (CLI)", theirs))
    print(f"ratio of medians: dripcourse / mjml = {statistics.median(ours) / statistics.median(theirs):.2f}")


if __name__ == "__main__":
    main()
