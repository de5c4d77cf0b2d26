"""The benchmark scripts run and print their tables (their figures are not asserted)."""

import importlib.util
import re
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
    header = next(i for i, line in enumerate(lines) if line.split()[:3] == ["sandbox", "workers", "wall"])
    rows = [line.split() for line in lines[header + 1:header + 5]]
    assert [r[:2] for r in rows] == [["sandbox", "1"], ["none", "1"], ["sandbox", "2"], ["none", "2"]], rows
    assert all(float(r[2]) > 0 and float(r[3]) > 0 for r in rows), rows
    for workers in ("1", "2"):  # the cost of the sandbox, side by side, against its target
        assert re.search(rf"^the sandbox at {workers} worker\(s\): [+-]\d+\.\d\d s per submission, x\d+\.\d\d "
                         r"\(target: at most x1\.25\)$", proc.stdout, re.M), proc.stdout
    assert "speed-up of 2 workers over 1 (sandbox)" in proc.stdout


def conv_bench(*args: str, script: Path = SCRIPT.with_name("bench_conv.py")) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(script), "--rounds", "1", "--batch", "4", "--loop-rounds", "1",
                           "--sample-ms", "5", *args],
                          capture_output=True, text=True, timeout=300)


def test_conv_benchmark_checks_agreement_then_prints_table():
    torch = importlib.util.find_spec("torch") is not None
    proc = conv_bench("--layers", "2", "--cpu-time")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    checks = [line for line in lines if line.startswith("  small: ") or line.startswith("  lenet: ")]
    assert len(checks) == 2 * (2 + torch) and all(line.endswith(": agree") for line in checks), checks
    header = next(i for i, line in enumerate(lines) if line.split()[:3] == ["net", "batch", "fused"])
    rows = [lines[header + 2].split(), lines[header + 3].split()]
    assert [r[:2] for r in rows] == [["small", "4"], ["lenet", "4"]]
    for row in rows:
        fused, separate, fused64, loop = float(row[2]), float(row[3]), float(row[4]), float(row[-2])
        ratio = lambda cell: float(cell.removesuffix("x"))  # of the unrounded times: compared to within 2 %
        assert min(fused, separate, fused64, loop) > 0 and ratio(row[-1]) == pytest.approx(loop / fused, rel=0.02)
        if torch:
            assert float(row[5]) > 0 and ratio(row[6]) == pytest.approx(fused / float(row[5]), rel=0.02, abs=0.01)
        else:
            assert row[5:8] == ["n/a"] * 3
    target = next(line for line in lines if line.startswith("TARGET"))
    assert target.endswith(("MET", "MISSED") if torch else "n/a (no PyTorch)")
    parts = [line.split()[1] for line in lines if line[:4].strip().isdigit() and line.startswith("  ")]
    assert sum(part.startswith("Conv2d") for part in parts) == 3  # each layer of both nets and their loss timed
    assert sum(part.startswith("SoftmaxCrossEntropy") for part in parts) == 2
    assert len(parts) == (4 + 2) + (12 + 2)  # small and lenet: their layers, the loss, the rest


DISAGREEING = """import runpy, sys
sys.path[:0] = [{root!r}, {bench!r}]
import framework
backward = framework.Conv2d.backward
def wrong(self, *args, **kwargs):  # every dW of a convolution off by 1 %
    dx = backward(self, *args, **kwargs)
    self.dW *= 1.01
    return dx
framework.Conv2d.backward = wrong
sys.argv[0] = {script!r}
runpy.run_path({script!r}, run_name="__main__")
"""


def test_conv_benchmark_refuses_to_time_implementations_that_disagree(tmp_path):
    script = SCRIPT.with_name("bench_conv.py")
    wrapper = tmp_path / "disagreeing.py"
    wrapper.write_text(DISAGREEING.format(root=str(SCRIPT.parents[1]), bench=str(SCRIPT.parent), script=str(script)))
    proc = conv_bench("--nets", "small", "--no-torch", script=wrapper)
    assert proc.returncode != 0 and "the implementations disagree" in proc.stderr
    checks = [line for line in proc.stdout.splitlines() if line.startswith("  small: ")]
    assert checks and all("DISAGREE (grad 0.W" in line for line in checks), proc.stdout
    assert "fused ms" not in proc.stdout  # nothing timed
