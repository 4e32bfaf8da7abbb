#!/usr/bin/env bash
# One entry point for newcomers and CI.  Every command sets itself up first
# (a virtual environment in .venv with everything installed), so on a fresh
# machine these are the only commands you need:
#
#   ./dev.sh app        the browser app on the London data (http://localhost:8501)
#   ./dev.sh compare    the CLI: compare the shipped scenarios, walk/drive/transit, day and night
#   ./dev.sh test       ruff, mypy and the whole test suite (what CI runs)
#   ./dev.sh bench      the benchmark script (prints timings and ratios)
#   ./dev.sh setup      only the set-up
#
# Data: ESTATE_DATA, or ../shared/london beside the repository.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY=${PYTHON:-python3}

setup() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[dev]"
    touch "$stamp"
  fi
}

browser() {
  # Debian's Chromium for the real-browser test (needs root and apt); skipped otherwise.
  if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing Debian's chromium and poppler-utils for the browser and PDF tests..." >&2
    { apt-get update -qq >/dev/null \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null; } \
      || echo "could not install chromium; the browser tests will be skipped" >&2
  fi
}

data_dir() {
  if [ -z "${ESTATE_DATA:-}" ] && [ -d "$ROOT/../shared/london" ]; then
    export ESTATE_DATA="$(cd "$ROOT/../shared/london" && pwd)"
  fi
}

cmd=${1:-help}
shift || true
case "$cmd" in
  setup) setup ;;
  app)
    setup; data_dir
    exec "$VENV/bin/python" -m app.serve --server.headless true "$@" ;;
  compare)
    setup; data_dir
    "$VENV/bin/estate" build
    for band in day night; do
      for mode in walk transit; do
        "$VENV/bin/estate" compare baseline-2024 outcome-2026 --mode "$mode" --band "$band" "$@"
        echo
      done
    done ;;
  test)
    setup; browser; data_dir
    echo "ruff and mypy (strict tooling, pyproject.toml)..." >&2
    "$VENV/bin/ruff" check .
    "$VENV/bin/mypy" geodata estate streamlit_app.py
    exec "$VENV/bin/python" -m pytest "$@" ;;
  bench)
    setup; data_dir
    exec "$VENV/bin/python" benchmarks/bench.py "$@" ;;
  *)
    sed -n '2,13p' "$0"; exit 1 ;;
esac
