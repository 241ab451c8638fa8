"""Atomic writes: whole files, with the mode the umask gives, and folders replaced whole."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from sim.base import files


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_get_the_umask_mode(tmp_path: Path, umask_022: None) -> None:
    assert files.current_umask() == 0o022
    files.atomic_write_text(tmp_path / "a.txt", "hello")
    files.atomic_write_parquet(tmp_path / "a.parquet", pd.DataFrame({"x": [1, 2]}))
    files.atomic_write_csv(tmp_path / "a.csv", pd.DataFrame({"x": [1]}))
    for name in ("a.txt", "a.parquet", "a.csv"):
        assert mode(tmp_path / name) == 0o644, name
    assert (tmp_path / "a.txt").read_text() == "hello"
    assert pd.read_parquet(tmp_path / "a.parquet")["x"].tolist() == [1, 2]


def test_a_stricter_umask_is_respected(tmp_path: Path) -> None:
    previous = os.umask(0o077)
    try:
        files.atomic_write_text(tmp_path / "b.txt", "x")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "b.txt") == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    files.atomic_write_text(tmp_path / "c.txt", "old")

    class Boom(pd.DataFrame):
        def to_parquet(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        files.atomic_write_parquet(tmp_path / "c.txt", Boom({"x": [1]}))
    assert (tmp_path / "c.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["c.txt"]


@pytest.mark.parametrize("exchange", [True, False])
def test_a_folder_is_replaced_whole(
    tmp_path: Path, umask_022: None, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:
        monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    target = tmp_path / "out"
    (target / "old_scenario").mkdir(parents=True)
    (target / "summary.csv").write_text("old")
    with files.replaced_folder(target) as staged:
        assert target.is_dir() and staged != target  # the old one stays readable meanwhile
        files.atomic_write_text(staged / "new.txt", "new")
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert mode(target) == 0o755
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failure_while_filling_keeps_the_old_folder(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("old")
    with pytest.raises(RuntimeError), files.replaced_folder(target) as staged:
        (staged / "half.txt").write_text("x")
        raise RuntimeError("stopped")
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
