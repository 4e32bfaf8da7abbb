"""``python -m estate``: the CLI."""

from __future__ import annotations

import sys

from estate.cli import main

sys.exit(main())
