"""Fixtures of the review tests: a small case and a client of its app."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitewatch.catalog import CaseStore
from tests.review.casefixture import make_case

TOKEN = "t0k3n-" + "x" * 26


@pytest.fixture
def small_case(tmp_path: Path) -> CaseStore:
    """Two dates with 5 and 6 planted detections."""
    return make_case(tmp_path, vehicles=(5, 6))


@contextlib.contextmanager
def client_of(store: CaseStore) -> Iterator[Any]:
    """A TestClient of the app over ``store``, not yet holding the token."""
    with warnings.catch_warnings():
        # Starlette 1.x prefers its httpx2 fork for TestClient and warns when given httpx.
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    from sitewatch.review import create_app

    app = create_app(store, reviewer="Ana Lyst", token=TOKEN,
                     allowed_hosts=("testserver", "127.0.0.1"))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def client(small_case: CaseStore) -> Iterator[object]:
    """A TestClient of the app, not yet holding the token."""
    with client_of(small_case) as test_client:
        yield test_client
