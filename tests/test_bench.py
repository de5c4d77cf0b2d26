"""The benchmark script runs and prints its table (its figures are not asserted)."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.cli
SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_step.py"


def test_benchmark_prints_table():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--rounds", "1", "--batches", "8"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    header, rule, row = proc.stdout.splitlines()[1:4]
    assert header.split()[:3] == ["batch", "floor", "ms"] and set(rule) == {"-"}
    assert row.split()[0] == "8" and row.count("x") >= 3
