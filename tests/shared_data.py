"""Where the real reference data lives (../shared/data, or $WFM_SHARED_DATA); tests skip when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV = "WFM_SHARED_DATA"
DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """Path to a file of the shared data; skips the calling test with the reason if it is not there."""
    root = Path(os.environ.get(ENV, DEFAULT))
    path = root.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data {path} is absent (set {ENV} to the folder holding anonbank/, erlang-reference/ ...)")
    return path
