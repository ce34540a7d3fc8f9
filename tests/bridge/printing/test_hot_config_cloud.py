"""End to end: a printer added by a signed config from the reference cloud prints at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cloud.harness import CloudProcess, TillProcess, wait_for


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[CloudProcess, TillProcess]]:
    cloud = CloudProcess(tmp_path)
    till = TillProcess(tmp_path, cloud)
    try:
        till.start()
        yield cloud, till
    finally:
        till.stop()
        cloud.stop()


def test_a_printer_from_the_cloud_takes_jobs_without_a_restart(
    pair: tuple[CloudProcess, TillProcess],
) -> None:
    cloud, till = pair
    job = {"receipt": {"blocks": [{"text": "from the kitchen"}, {"cut": "partial"}]}}
    status, body = till.api("POST", "/api/v1/printers/kitchen/jobs", job)
    assert status == 404, body

    cloud.publish_config({"devices": {"kitchen": {"driver": "simulated-printer"}}}, version=2)
    wait_for(lambda: till.sync_status()["config_version"] == 2, 15, "the signed config")
    status, body = till.api("POST", "/api/v1/printers/kitchen/jobs", job)
    assert status == 202, body
    job_id = body["job"]["id"]
    wait_for(
        lambda: till.api("GET", f"/api/v1/jobs/{job_id}")[1]["job"]["state"] == "done",
        10,
        "the job on the new printer",
    )
