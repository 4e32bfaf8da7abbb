"""Dask clusters for the planner's long work (matrix builds, setting sweeps).

Dask is the only engine for work spread over processes: a
``distributed.LocalCluster`` on this machine by default (``workers`` processes,
one thread each), or an existing cluster given by its scheduler address.  The
same code runs either way.  A scheduler that does not answer is a clear
:class:`~geodata.errors.ClusterError`, never a silent fallback to local work.

``dask.distributed`` is imported only when a cluster is opened, so importing
this module is cheap.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from geodata.errors import ClusterError

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = ["MAX_WORKERS", "check_scheduler_address", "check_workers", "open_client"]

#: the most local worker processes one call may start (each holds its own copy
#: of the network and a chunk of results)
MAX_WORKERS = 64

#: how long a given scheduler has to answer before it is an error
CONNECT_TIMEOUT_S = 10.0

_ADDRESS = re.compile(r"^(tcp|tls|inproc|ws|wss)://[A-Za-z0-9_.\-\[\]:]+(:\d{1,5})?$")


def check_workers(workers: int | None) -> int:
    """The number of local workers to start: ``workers`` if valid, else the cores."""
    if workers is None:
        return max(1, min(os.cpu_count() or 1, MAX_WORKERS))
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise ClusterError(f"--workers must be a whole number, not {workers!r}")
    if not 1 <= workers <= MAX_WORKERS:
        raise ClusterError(
            f"--workers {workers} is out of range: give 1 to {MAX_WORKERS} local workers "
            "(or --scheduler ADDRESS to use an existing Dask cluster)"
        )
    return workers


def check_scheduler_address(address: str) -> str:
    """``address`` if it looks like a Dask scheduler address, else a clear error."""
    text = str(address).strip()
    if not _ADDRESS.match(text):
        shown = text[:80].encode("unicode_escape").decode("ascii")
        raise ClusterError(
            f"--scheduler {shown!r} is not a Dask scheduler address: give one like "
            "tcp://host:8786 (the address `dask scheduler` prints)"
        )
    return text


@contextmanager
def open_client(
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    memory_limit: str | None = None,
) -> Iterator[Client]:
    """A Dask client: on ``scheduler`` if given, else on a new local cluster.

    The local cluster uses processes (one thread each, so numpy and scipy do not
    fight over cores), no dashboard, and is closed on exit.  A scheduler that does
    not answer within :data:`CONNECT_TIMEOUT_S` raises :class:`ClusterError`.
    """
    if scheduler is not None and workers is not None:
        raise ClusterError(
            "give either --workers N (a local cluster) or --scheduler ADDRESS (an existing one), not both"
        )
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        address = check_scheduler_address(scheduler)
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"the Dask scheduler at {address} did not answer within {CONNECT_TIMEOUT_S:.0f} s "
                f"({type(exc).__name__}): start it (`dask scheduler`, then `dask worker {address}`) "
                "or leave out --scheduler to run on a local cluster"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return

    n = check_workers(workers)
    kwargs: dict[str, Any] = {
        "n_workers": n,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": None,
    }
    if memory_limit is not None:
        kwargs["memory_limit"] = memory_limit
    # no telemetry, no dashboard, quiet logs; workers inherit these settings
    with dask.config.set({"distributed.admin.system-monitor.gil.enabled": False}):
        cluster = LocalCluster(**kwargs)
        try:
            client = Client(cluster, set_as_default=False)
            try:
                yield client
            finally:
                client.close()
        finally:
            cluster.close()
