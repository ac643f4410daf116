import os

import pytest


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """One real Prefect server (SQLite, temp home) for every flow test of the session: it takes ~10 s to start."""
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
