"""Several GTFS feeds as one (e.g. a city's buses and its area's trains).

The GTFS engine reads one feed.  :func:`merge_feeds` writes one zip holding every
table of every feed, each feed's ids (stops, routes, trips, services, agencies,
shapes) prefixed with its number (``0:``, ``1:``, ...) so that two feeds can use
the same id for different things, and every column any feed has.  The zip is
written once, atomically, into a folder (the cache), named by the feeds and keyed
by their names, sizes and modification times; the reader validates it as any feed.

Examples
--------
>>> _prefix("1:", "stop_id", "NWPTRTG")
'1:NWPTRTG'
>>> _prefix("1:", "stop_name", "Newport")
'Newport'
>>> _prefix("1:", "parent_station", "")
''
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

from geodata._io import atomic_write_bytes
from geodata.errors import GTFSError
from geodata.travel.cache import digest

__all__ = ["ID_COLUMNS", "merge_feeds"]

#: columns that hold an id of the feed (prefixed per feed)
ID_COLUMNS = frozenset({
    "agency_id", "stop_id", "parent_station", "route_id", "trip_id", "service_id", "shape_id",
    "from_stop_id", "to_stop_id", "block_id", "zone_id", "fare_id", "level_id",
})
#: one-row files that describe a single feed: left out of the merge
_SKIP = frozenset({"feed_info.txt"})


def _prefix(pre: str, column: str, value: str) -> str:
    return f"{pre}{value}" if column in ID_COLUMNS and value != "" else value


def _tables(feed: Path) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    out: dict[str, tuple[list[str], list[dict[str, str]]]] = {}
    try:
        if feed.is_dir():
            items = [(p.name, p.read_bytes()) for p in sorted(feed.glob("*.txt"))]
        else:
            with zipfile.ZipFile(feed) as zf:
                items = [(Path(n).name, zf.read(n)) for n in zf.namelist() if n.endswith(".txt")]
    except (OSError, zipfile.BadZipFile) as exc:
        raise GTFSError(f"GTFS feed {feed}: cannot be read ({exc})") from exc
    for name, data in items:
        if name in _SKIP:
            continue
        text = data.decode("utf-8-sig", errors="replace")
        reader = csv.DictReader(io.StringIO(text))
        rows = list(reader)
        out[name] = ([c for c in (reader.fieldnames or []) if c], rows)
    return out


def merge_feeds(feeds: Sequence[Path | str], folder: Path | str) -> Path:
    """One zip of every feed in ``feeds`` (ids prefixed per feed), in ``folder``; reused when present.

    Raises
    ------
    GTFSError
        When a feed is missing or unreadable.
    """
    paths = [Path(f) for f in feeds]
    ident = []
    for p in paths:
        if not p.exists():
            raise GTFSError(f"GTFS feed {p} does not exist")
        st = p.stat()
        ident.append([p.name, st.st_size, int(st.st_mtime)])
    key = digest({"kind": "gtfs-merge", "feeds": ident})[:12]
    stems = "+".join(p.name.removesuffix(".zip") for p in paths)
    out = Path(folder) / f"{stems}-{key}.zip"
    if out.exists():
        return out
    merged: dict[str, tuple[list[str], list[dict[str, str]]]] = {}
    for i, p in enumerate(paths):
        pre = f"{i}:"
        for name, (header, rows) in _tables(p).items():
            cols, acc = merged.setdefault(name, ([], []))
            cols.extend(c for c in header if c not in cols)
            for r in rows:
                acc.append({c: _prefix(pre, c, v or "") for c, v in r.items() if c is not None})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, (cols, rows) in sorted(merged.items()):
            if not cols:  # an empty file in every feed (e.g. calendar_dates.txt): left out
                continue
            s = io.StringIO()
            w = csv.DictWriter(s, fieldnames=cols, restval="", lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
            zf.writestr(name, s.getvalue())
    atomic_write_bytes(out, buf.getvalue())
    return out
