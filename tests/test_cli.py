"""The command line: python -m framework demo."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.cli


def run(*args):
    return subprocess.run([sys.executable, "-m", "framework", *args], capture_output=True, text=True, timeout=300)


def test_demo_checks_gradients_and_learns():
    proc = run("demo", "--epochs", "40")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "total parameters: 4,547" in out
    assert "gradient check of Sequential + SoftmaxCrossEntropy()" in out and "FAIL" not in out
    accuracy = float(out.rsplit("validation accuracy ", 1)[1].split("%")[0])
    assert accuracy > 90.0, out


def test_help_lists_commands():
    proc = run("--help")
    assert proc.returncode == 0 and "demo" in proc.stdout
    assert run("nonsense").returncode == 2
