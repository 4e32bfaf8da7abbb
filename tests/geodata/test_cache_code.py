"""The engines' code is part of every cache key: upgraded code never reads old matrices."""

from __future__ import annotations

from pathlib import Path

from geodata.travel.cache import matrix_key, source_fingerprint


def test_source_fingerprint_follows_the_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    before = source_fingerprint(str(tmp_path))
    source_fingerprint.cache_clear()
    (tmp_path / "a.py").write_text("x = 2\n")
    after = source_fingerprint(str(tmp_path))
    source_fingerprint.cache_clear()
    assert before != after
    (tmp_path / "a.py").write_text("x = 1\n")
    assert source_fingerprint(str(tmp_path)) == before  # content, not mtime
    source_fingerprint.cache_clear()


def test_matrix_key_changes_with_the_engine_code(monkeypatch) -> None:
    import geodata.travel.cache as cache

    k1 = matrix_key({"s": 1}, "all", "o", "d")
    monkeypatch.setattr(cache, "engine_code", lambda: "other code")
    k2 = matrix_key({"s": 1}, "all", "o", "d")
    assert k1 != k2
