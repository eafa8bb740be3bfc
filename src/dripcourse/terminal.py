"""What dripcourse prints to a terminal: user text with its control characters shown, never obeyed.

A heading holding ESC or BEL (from a pasted web page, or written on purpose) must not recolour, retitle or clear the
user's terminal, and a bidi override must not make a line read backwards. Each such character is printed as an
escape like `\\x1b` or `\\u202e`; tabs and line breaks stay.
"""

from __future__ import annotations

import re

import typer

# C0 controls except tab and newline, DEL, C1 controls, the Unicode line separators, bidi embeddings, overrides
# and isolates, and the byte-order mark.
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def visible(text: str) -> str:
    """`text` with every character that a terminal would obey written as a visible escape."""
    return UNPRINTABLE.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


def say(message: object = "", err: bool = False) -> None:
    """typer.echo for anything that may hold user text."""
    typer.echo(visible(str(message)), err=err)
