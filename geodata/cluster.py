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
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from geodata.errors import ClusterError

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = ["MAX_WORKERS", "add_cluster_arguments", "check_scheduler_address", "check_workers", "open_client"]

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


def _quiet_logs() -> None:
    """Dask's own INFO lines (workers starting and stopping) only when the root logger asks for them."""
    import logging

    root = logging.getLogger().getEffectiveLevel()
    for name in ("distributed", "distributed.scheduler", "distributed.worker", "distributed.core",
                 "distributed.http.proxy"):
        logging.getLogger(name).setLevel(max(root, logging.WARNING))
    # "worker still alive after 4 s, killing" on closing: the nanny's routine, not the user's concern
    logging.getLogger("distributed.nanny").setLevel(max(root, logging.ERROR))


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

    _quiet_logs()

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
        # no dashboard; the scheduler's own HTTP endpoint on a free port (its default, 8787,
        # clashes with any other cluster on the machine and warns)
        "dashboard_address": ":0",
        "scheduler_kwargs": {"dashboard": False},
    }
    if memory_limit is not None:
        kwargs["memory_limit"] = memory_limit
    # no telemetry, no dashboard, quiet logs; workers inherit these settings
    with dask.config.set({"distributed.admin.system-monitor.gil.enabled": False}), warnings.catch_warnings():
        # the scheduler's local HTTP endpoint moves to a free port when 8787 is taken: not news
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        cluster = LocalCluster(**kwargs)
        try:
            client = Client(cluster, set_as_default=False)
            try:
                yield client
            finally:
                client.close()
        finally:
            cluster.close()


def add_cluster_arguments(parser: Any) -> None:
    """Add ``--workers N`` and ``--scheduler ADDRESS`` (one or the other) to an ``argparse`` parser.

    They land as ``args.workers`` and ``args.scheduler`` (None when not given), for
    :func:`open_client` (checked there, and by :func:`check_workers` /
    :func:`check_scheduler_address`).
    """
    g = parser.add_mutually_exclusive_group()
    g.add_argument("--workers", type=int, metavar="N",
                   help="build matrices in chunks of sites on a local Dask cluster of N worker processes "
                        "(default: only large areas' sparse matrices, on every core)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="build matrices on an existing Dask cluster, e.g. tcp://host:8786 (its workers "
                        "must see the cache folder); an address that does not answer is an error")
