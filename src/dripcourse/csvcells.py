"""CSV cells that a spreadsheet cannot run: every CSV dripcourse writes goes through here.

A spreadsheet treats a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula
(OWASP "CSV injection"), so `=HYPERLINK(...)` in a subject or a subscriber's name would run when the file is
opened. Such a text cell gets a leading apostrophe, the OWASP rule; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The text of one cell, with a leading apostrophe if a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_line(values: Iterable[object]) -> str:
    """One CSV record with its line end, quoted only where the format needs it (csv.writer's QUOTE_MINIMAL)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([safe_cell(v) for v in values])
    return buffer.getvalue()


def csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = False) -> bytes:
    """A whole UTF-8 CSV file: a header row, then one record per row, every cell formula-safe.

    With `bom`, the file starts with the UTF-8 byte-order mark, which is how Excel knows a CSV is UTF-8 (without it
    Excel reads the bytes in the system's legacy code page, and "café" shows as "cafÃ©"); Python reads such a
    file with the "utf-8-sig" codec, and LibreOffice and Google Sheets skip the mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")
