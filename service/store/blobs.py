"""Tables kept in the store as Parquet blobs (docs/service.md: why blobs, not rows)."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

__all__ = ["from_parquet_blob", "to_parquet_blob"]


def to_parquet_blob(table: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return buffer.getvalue()


def from_parquet_blob(blob: bytes) -> pd.DataFrame:
    """A table stored by `to_parquet_blob`, its list cells (a roster's breaks and absences) lists again, not the
    arrays Parquet gives back."""
    table = pd.read_parquet(io.BytesIO(blob))
    for column in table.columns:
        if table[column].dtype == object:
            table[column] = [_as_list(v) for v in table[column]]
    return table


def _as_list(value: Any) -> Any:
    if hasattr(value, "tolist") and not isinstance(value, str):
        return [_as_list(v) for v in value.tolist()]
    if isinstance(value, list):
        return [_as_list(v) for v in value]
    return value
