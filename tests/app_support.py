"""What the app's AppTest modules share (their fixtures, ``scen_dir`` and
``clear_streamlit_caches``, are in ``conftest.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata import settings
from geodata.errors import MissingDataError

ROOT = Path(__file__).resolve().parent.parent
#: the app, for ``streamlit.testing.v1.AppTest``
APP = str(ROOT / "streamlit_app.py")


def _data_dir() -> Path | None:
    try:
        return settings.data_dir()
    except MissingDataError:
        return None


#: the marks of a module whose tests drive the app on the London pack
LONDON_APP_MARKS = [
    pytest.mark.london,
    pytest.mark.skipif(_data_dir() is None, reason="no London data pack (set ESTATE_DATA or put it at ../shared/london)"),
    pytest.mark.usefixtures("clear_streamlit_caches"),
]
