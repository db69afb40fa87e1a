"""Files people can open: CSV cells that never run as formulas, and safe file names."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def neutralise(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe.

    Numbers stay numbers: only str values are touched (OWASP "CSV injection").
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """CSV with a BOM (Excel then reads UTF-8) and every text cell neutralised."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow([neutralise(str(h)) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return out.getvalue()


def content_disposition(filename: str) -> str:
    """attachment; an ASCII fallback name and the real one per RFC 5987 (filename*)."""
    fallback = _ASCII_SAFE.sub("-", filename).strip("-") or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
