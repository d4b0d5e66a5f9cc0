"""Shared by the service's tests (their fixtures `store` and `client` are in conftest.py): a bearer header."""

from __future__ import annotations


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
