"""The environment that `make` creates: complete by itself, and the versions that CI tested.

`make` builds `.venv` with pip, setuptools and wheel first, then the project, every version
pinned by `constraints.txt` (written by `make lock`). These tests fail when a fresh `.venv`
would differ from what the lock says: a package at another version, one the lock does not
know, or a build tool missing (a venv from Python's own bundle has no `wheel`, and a
setuptools too old for `pyproject.toml`). They run only inside the project's own `.venv`:
another environment (conda, a system Python) is the user's to choose.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.env

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "constraints.txt"
IN_PROJECT_VENV = Path(sys.prefix).resolve() == (ROOT / ".venv").resolve()
needs_venv = pytest.mark.skipif(not IN_PROJECT_VENV, reason="runs in the project's .venv only (make test)")


def pins(text: str) -> dict[str, str]:
    """``name==version`` lines of a constraints file, by canonical name; anything else is refused."""
    found = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        assert match, f"constraints.txt line {number}: expected 'name==version', got {line!r}"
        name = canonicalize_name(match[1])
        assert name not in found, f"constraints.txt line {number}: {match[1]} is pinned twice"
        found[name] = match[2]
    return found


def installed() -> dict[str, str]:
    """What pip installed into the environment's site-packages (not the copies that setuptools
    vendors and puts on sys.path once imported)."""
    folders = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    return {canonicalize_name(d.metadata["Name"]): d.version for d in importlib.metadata.distributions(path=folders)}


def test_the_lock_is_well_formed_and_pins_the_build_tools():
    locked = pins(LOCK.read_text())
    for tool in ("pip", "setuptools", "wheel"):
        assert tool in locked, f"constraints.txt pins no {tool}: a fresh venv would keep whatever Python bundled"
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    for requirement in map(Requirement, build):
        version = locked.get(canonicalize_name(requirement.name))
        assert version is not None, f"the build requirement {requirement} is not pinned in constraints.txt"
        assert requirement.specifier.contains(version), (
            f"constraints.txt pins {requirement.name}=={version}, but pyproject.toml's build needs {requirement}")


def test_pins_parser_refuses_what_pip_would_read_differently():
    assert pins("# comment\nnumpy==2.4.6  # why\n\nNumPy_Extra==1\n") == {"numpy": "2.4.6", "numpy-extra": "1"}
    with pytest.raises(AssertionError, match="expected 'name==version'"):
        pins("numpy>=2\n")
    with pytest.raises(AssertionError, match="pinned twice"):
        pins("numpy==1\nNumPy==2\n")


@needs_venv
def test_every_installed_package_is_the_version_the_lock_pins():
    locked, present = pins(LOCK.read_text()), installed()
    wrong = {name: f"{version} (lock: {locked[name]})" for name, version in present.items()
             if name in locked and version != locked[name]}
    unknown = sorted(set(present) - set(locked) - {"framework"})
    assert not wrong, f"installed versions differ from constraints.txt: {wrong}; rebuild .venv (make clean test)"
    assert not unknown, (f"installed but not in constraints.txt: {unknown}; a fresh clone would resolve them afresh: "
                         "add the requirement to pyproject.toml and run make lock")


@needs_venv
def test_every_requirement_of_the_project_is_pinned():
    locked = pins(LOCK.read_text())
    missing = []
    for text in importlib.metadata.requires("framework") or []:
        requirement = Requirement(text)
        if canonicalize_name(requirement.name) == "framework":
            continue  # one extra naming another
        if canonicalize_name(requirement.name) not in locked:
            missing.append(str(requirement))
    assert not missing, f"requirements of pyproject.toml missing from constraints.txt: {missing}; run make lock"


@needs_venv
def test_the_wheel_build_tools_are_in_the_environment():
    # `pip wheel --no-build-isolation` (publish's install check) builds with what is installed
    for tool in ("setuptools", "wheel"):
        assert tool in installed(), f"{tool} is missing from .venv: the Makefile must install it"
