"""The table contracts as CSV text, the form they take in the service's requests and responses."""

from __future__ import annotations

import io
from pathlib import Path
from tempfile import TemporaryDirectory

import pandas as pd

from models import InputError, Problem, write_table
from models.tables import RowRef, TableSchema, parse_table

__all__ = ["csv_text", "read_csv_text"]


def read_csv_text(text: str, schema: TableSchema, source: str, timezone: str) -> pd.DataFrame:
    """A `schema` table from CSV text, checked as the command line checks its file (problems name `source`)."""
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            source, Problem("", f"cannot be read as CSV: {detail}", "give the table as CSV text")
        ) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return parse_table(raw, schema, source, rows=RowRef(csv=True), timezone=timezone)


def csv_text(table: pd.DataFrame, schema: TableSchema) -> str:
    """`table` as the `schema` contract's CSV, as the command line writes its file."""
    with TemporaryDirectory() as folder:
        return write_table(table, schema, Path(folder) / "table.csv").read_text(encoding="utf-8")
