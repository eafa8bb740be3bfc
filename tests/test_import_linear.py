"""The importer's work grows in step with the article: hostile inputs grown tenfold take about ten times as long.

Issue 12 found an 87 KB table of contents taking 24 s, growing with the square of its length. Each shape below
is imported at one size and at ten times that size; a linear importer takes about 10x as long, a quadratic one
100x. The bound (35x) leaves room for a busy machine (two cores, shared); absolute times are measured in bench/, never here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from dripcourse.importer import split_article

SENTENCE = "The habit sticks when it is small enough to keep on a bad day."
SHAPES: dict[str, tuple[Callable[[int], str], str]] = {
    "table of contents": (
        lambda n: "Plan\n\nTable of Contents\n" + "\n".join(f"Part {i} of the plan" for i in range(n)),
        ".txt",
    ),
    "numbered lines without bodies": (lambda n: "\n".join(f"{i % 99 + 1}. Item number {i}" for i in range(n)), ".txt"),
    "lead-ins with lists": (lambda n: "".join(f"Here is list {i}:\nalpha\nbeta\ngamma\n\n" for i in range(n)), ".txt"),
    "title lines": (lambda n: "".join(f"Short Title {i}\n{SENTENCE}\n" for i in range(n)), ".txt"),
    "lines ending in colons": (lambda n: "\n".join(f"Label {i}:" for i in range(n)), ".txt"),
    "blank lines": (lambda n: "Title\n" + "\n" * (n * 40) + "x", ".txt"),
    "hard-wrapped paragraph": (
        lambda n: "Title\n\n" + "\n".join(SENTENCE + " more" for _ in range(n)) + "\n\nEnd.",
        ".txt",
    ),
    "one long line of markup": (lambda n: "a **b** [c](d) _e_ " * (n * 4), ".md"),
    "list item continued": (lambda n: "- item\n" + "  continued line here\n" * n, ".md"),
    "stars": (lambda n: "**" * (n * 40) + "\n\n" + "*x " * (n * 10), ".md"),
    "saved page": (
        lambda n: (
            "<html><body><article><h1>T</h1>"
            + "".join(f"<h2>Head {i}</h2><p>{SENTENCE}</p><ul><li>a</li><li>b</li></ul>" for i in range(n // 8))
            + "</article></body></html>"
        ),
        ".html",
    ),
    "saved page in a plain div with boxes": (
        lambda n: (
            "<html><body><div id='page'><h1>T</h1>"
            + "".join(
                f"<h2>Head {i}</h2><p>{SENTENCE}</p><div class='box'><h3>Box {i}</h3><ul><li>a {i}</li></ul></div>"
                for i in range(n // 8)
            )
            + "</div></body></html>"
        ),
        ".html",
    ),
}


def best_times(small: str, large: str, suffix: str) -> tuple[float, float]:
    """The best of three runs of each, taken in turn, so a busy moment on the machine hits both alike."""
    best = [float("inf"), float("inf")]
    for _ in range(3):
        for which, text in enumerate((small, large)):
            start = time.perf_counter()
            split_article(text, suffix, f"grown{suffix}")
            best[which] = min(best[which], time.perf_counter() - start)
    return best[0], best[1]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_ten_times_the_input_takes_about_ten_times_as_long(shape: str) -> None:
    make, suffix = SHAPES[shape]
    small, large = make(300), make(3000)
    assert len(large) > 9 * len(small)
    small_time, large_time = best_times(small, large, suffix)
    # Below 10 ms a run is mostly timer and scheduler noise; a quadratic shape is far past 250 ms at 10x.
    ratio = large_time / max(small_time, 0.010)
    assert ratio < 35, f"{shape}: 10x the input took {ratio:.1f}x as long ({small_time:.4f} s, {large_time:.4f} s)"
