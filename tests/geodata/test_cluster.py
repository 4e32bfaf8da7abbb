"""The Dask cluster opener: a real LocalCluster, and clear errors for bad addresses."""

from __future__ import annotations

import socket

import pytest

from geodata.cluster import check_scheduler_address, check_workers, open_client
from geodata.errors import ClusterError, PlannerError


def _square(x: int) -> int:
    return x * x


def test_local_cluster_runs_tasks_on_two_workers() -> None:
    with open_client(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        futures = client.map(_square, range(6))
        assert client.gather(futures) == [0, 1, 4, 9, 16, 25]


def test_a_scheduler_that_does_not_answer_is_a_clear_error() -> None:
    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        pytest.raises(ClusterError, match="did not answer") as info,
        open_client(scheduler=f"tcp://127.0.0.1:{port}"),
    ):
        pass  # pragma: no cover - never reached
    assert isinstance(info.value, PlannerError)
    assert "leave out --scheduler" in str(info.value)


@pytest.mark.parametrize(
    "bad", ["", "localhost:8786", "http://x:1", "tcp://a b", "tcp://x;rm -rf /"]
)
def test_malformed_scheduler_addresses_are_refused(bad: str) -> None:
    with pytest.raises(ClusterError, match="not a Dask scheduler address"):
        check_scheduler_address(bad)


@pytest.mark.parametrize("bad", [0, -1, 65, 2.5, True, "2"])
def test_bad_worker_counts_are_refused(bad: object) -> None:
    with pytest.raises(ClusterError):
        check_workers(bad)  # type: ignore[arg-type]


def test_workers_and_scheduler_together_are_refused() -> None:
    with (
        pytest.raises(ClusterError, match="not both"),
        open_client(workers=2, scheduler="tcp://127.0.0.1:1"),
    ):
        pass  # pragma: no cover
