"""The app on an empty data dir (no knowledge base), for tests of intake, tickets and refusals.

Import both fixtures into a test module to use them in place of the sample-base `runtime`:
`from tests.connectors.empty_app import client, runtime  # noqa: F401`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from connectors.app import create_app
from connectors.runtime import Runtime


@pytest.fixture
def runtime() -> Runtime:
    """A runtime on this test's own, empty data dir."""
    return Runtime()


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    """The whole app over that runtime, without the delivery worker."""
    return TestClient(create_app(runtime, run_worker=False))
