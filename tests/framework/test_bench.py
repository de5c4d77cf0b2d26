"""The benchmark script runs and prints its table (its figures are not asserted)."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.cli
SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_step.py"


def test_benchmark_prints_table():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--rounds", "1", "--batches", "8"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    header, rule, row = proc.stdout.splitlines()[1:4]
    assert header.split()[:3] == ["batch", "floor", "ms"] and set(rule) == {"-"}
    assert row.split()[0] == "8" and row.count("x") >= 3


def test_benchmark_compares_against_another_checkout():
    root = SCRIPT.parents[1]
    proc = subprocess.run([sys.executable, str(SCRIPT), "--rounds", "1", "--batches", "8", "--no-torch", "--cpu-time",
                           "--against", str(root)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["batch", "against"])
    row = lines[header + 2].split()
    assert row[0] == "8" and row[1] == str(root)[-24:] and row[4].endswith("%") and row[7].endswith("%")
    assert float(row[2]) > 0 and float(row[3]) > 0 and "CPU time of this thread" in proc.stdout


def test_benchmark_against_a_folder_without_the_framework_fails_clearly(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--rounds", "1", "--batches", "8", "--no-torch",
                           "--against", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "no framework/__init__.py there" in proc.stderr


def test_epoch_benchmark_prints_table():
    script = SCRIPT.with_name("bench_epoch.py")
    proc = subprocess.run([sys.executable, str(script), "--rounds", "1", "--batches", "32", "--limit", "2000", "--no-torch"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["batch", "bare"])
    row = lines[header + 2].split()
    assert row[0] == "32" and row[3].endswith("%") and row[-1] == "n/a"
    assert "2000 examples" in proc.stdout
    threads = next(i for i, line in enumerate(lines) if line.split()[:2] == ["load", "batch"])
    row = lines[threads + 2].split()  # fit with NumPy's default BLAS threads vs one thread
    assert row[:2] == ["0", "32"] and float(row[2]) > 0 and float(row[3]) > 0 and row[4].endswith("x")


def test_main_job_benchmark_prints_its_phases():
    script = SCRIPT.with_name("bench_main.py")
    proc = subprocess.run([sys.executable, str(script), "--rounds", "1", "--dataset", "xor", "--epochs", "2",
                           "--threads", "default", "1"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["load", "threads"])
    assert lines[header].split()[2:] == ["imports", "data", "gradcheck", "training", "testing", "plots", "fixed", "wall"]
    rows = [lines[header + 2].split(), lines[header + 3].split()]
    assert [r[:2] for r in rows] == [["0", "default"], ["0", "1"]]
    for row in rows:
        figures = [float(v) for v in row[2:]]
        assert all(v >= 0 for v in figures) and figures[-1] > 0
        assert figures[2] > 0 and figures[3] > 0, row  # the job's own clock timed its gradient check and training
        assert figures[6] == pytest.approx(figures[7] - figures[3], abs=0.02)  # fixed: wall minus training


def test_grading_benchmark_prints_table():
    pytest.importorskip("nbgrader")
    script = SCRIPT.with_name("bench_grading.py")
    proc = subprocess.run([sys.executable, str(script), "--students", "2", "--workers", "1", "2"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["workers", "wall"])
    rows = [lines[header + 1].split(), lines[header + 2].split()]
    assert [r[0] for r in rows] == ["1", "2"] and all(float(r[2]) > 0 for r in rows)
    assert "speed-up of 2 workers over 1" in proc.stdout
