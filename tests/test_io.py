"""Atomic writes: a crash never leaves half a file."""

from __future__ import annotations

import pytest

from recyclenet.io import atomic_path, write_text


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path):
    """An exception inside the write keeps the previous content and removes the temp file."""
    target = tmp_path / "kpis.json"
    write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("crash")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["kpis.json"]
