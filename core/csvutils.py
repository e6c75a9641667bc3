"""CSV for Dutch Excel, as every export writes it: UTF-8 with BOM, `;`-separated, formulas neutralised."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

BOM = "\ufeff"
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Prefixes a would-be formula with an apostrophe, so Excel shows it as text."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def csv_line(cells: Iterable[object]) -> str:
    """One `;`-separated line, would-be formulas neutralised."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(neutralise(str(cell)) for cell in cells)
    return buffer.getvalue()
