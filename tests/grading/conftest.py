"""Fixtures the grading tests share."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A course folder with ps1 released (once per test module), and the student notebook."""
    from grading.release import release_copy

    base = tmp_path_factory.mktemp("released")
    (student,) = release_copy("ps1", base / "course", base / "notebooks")
    return base / "course", student


@pytest.fixture
def course(released, tmp_path):
    """A fresh copy of the released course for one test."""
    copy_ = tmp_path / "course"
    shutil.copytree(released[0] / "release", copy_ / "release")
    return copy_
