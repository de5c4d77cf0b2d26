"""Student editions of the framework: built from the regions framework/ marks, they hold no
reference of an assignment not released, import, raise a clear NotImplementedError in its
place, and otherwise behave as the full framework."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grading import edition
from grading.course import ROOT, load_course
from grading.edition import EditionError, build, for_grading, regions, released_for, strip
from grading.leaks import SOLUTION, find_leaks, normalise, secret_lines

pytestmark = pytest.mark.grading

ORDER = list(load_course().assignments)


def run_in(folder: Path, code: str) -> dict:
    """What ``code`` (which prints one JSON line last) gives with ``folder`` first on the path."""
    done = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def nothing_released(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("none") / "framework", set())


def test_a_ps1_edition_holds_no_line_of_a_ps1_solution(nothing_released):
    """The edition a ps1 kernel imports: no solution line of ps1's master but plain Python shared
    with the framework's kept code (edition.SHARED, reviewed), and none of a stripped region."""
    masters = edition.masters_of(["ps1"])
    found = {normalise(leak.line) for leak in find_leaks(masters, [nothing_released], blocks=dict([SOLUTION]))}
    assert found <= edition.SHARED, found - edition.SHARED
    text = normalise("\n".join(p.read_text() for p in nothing_released.rglob("*.py")))
    for line in ("out = x @ self.W", "self.dW = x.T @ grad_out", "grad[i] = (f_plus - f_minus) / (2 * eps)",
                 "return grad_out * mask", "log_probs = log_softmax(logits, axis=1)"):
        assert normalise(line) not in text, line
    assert len(secret_lines(masters[0])) > 20   # the master has solutions to look for


def test_the_edition_imports_and_every_exercise_raises_a_clear_error(nothing_released):
    found = run_in(nothing_released.parent, """
import importlib, json, pkgutil, numpy as np, framework as fw
for m in pkgutil.walk_packages(fw.__path__, "framework."):
    importlib.import_module(m.name)     # every module imports: no module code calls what is stripped
x = np.ones((2, 3))
calls = {"Linear.forward": lambda: fw.Linear(3, 2)(x), "numerical_gradient": lambda: fw.numerical_gradient(np.sum, x),
         "ReLU.forward": lambda: fw.ReLU()(x), "softmax": lambda: fw.softmax(x),
         "SoftmaxCrossEntropy.forward": lambda: fw.SoftmaxCrossEntropy()(x, np.array([0, 1])),
         "Sequential.forward": lambda: fw.Sequential()(x), "one_hot": lambda: fw.one_hot(np.array([0, 1])),
         "sigmoid": lambda: fw.sigmoid(x), "balanced_subset": lambda: fw.balanced_subset(x, np.array([0, 1]), 1)}
said = {}
for name, call in calls.items():
    try:
        call()
        said[name] = "works"
    except NotImplementedError as err:
        said[name] = str(err)
print(json.dumps({"file": fw.__file__, **said}))
""")
    assert found.pop("file").startswith(str(nothing_released))
    due = {"one_hot": "ps2", "sigmoid": "ps3", "balanced_subset": "ps4"}
    for name, said in found.items():
        assignment = due.get(name, "ps1")
        what = "softmax solves SoftmaxCrossEntropy, an exercise" if name == "softmax" else f"{name} is an exercise"
        assert said == f"{what} of {assignment}; the framework's own is released once {assignment} is due", said
    assert "LeakyReLU.forward solves ReLU.forward, an exercise of ps1" in (nothing_released / "activations.py").read_text()


# a few calls of several assignments' exercises, as numbers (or "held back")
CALLS = """
import json, numpy as np, framework as fw
rng = np.random.default_rng(0)
x, y = rng.standard_normal((6, 4)), np.array([0, 1, 2, 0, 1, 2])
def linear():
    layer = fw.Linear(4, 3, seed=1, dtype=np.float64)
    out = layer(x)
    dx = layer.backward(np.ones_like(out), lr=0.1)
    return [out.tolist(), dx.tolist(), layer.W.tolist()]
def loss():
    ce = fw.SoftmaxCrossEntropy()
    return [ce(x[:, :3], y), ce.backward().tolist(), fw.softmax(x).tolist()]
def fit():
    model = fw.Sequential(fw.Linear(4, 3, seed=2, dtype=np.float64), fw.ReLU(), fw.Linear(3, 3, seed=3, dtype=np.float64))
    loader = fw.DataLoader(fw.ArrayDataset(x, y), batch_size=2, shuffle=True, seed=0)
    history = fw.fit(model, fw.SoftmaxCrossEntropy(), 0.1, loader, (x, y), epochs=3, progress=False)
    return [history.train_loss, history.val_loss, fw.predict(model, x).tolist()]
calls = {"linear": linear, "loss": loss, "fit": fit,
         "gradient": lambda: fw.numerical_gradient(lambda a: float(np.sum(a ** 3)), x.copy()).tolist(),
         "one_hot": lambda: fw.one_hot(y).tolist()}
said = {}
for name, call in calls.items():
    try:
        said[name] = call()
    except NotImplementedError:
        said[name] = "held back"
print(json.dumps(said))
"""


@pytest.mark.parametrize("released", [{"ps1"}, set(ORDER)])
def test_released_exercises_behave_as_the_full_framework(tmp_path, released):
    full = run_in(ROOT, CALLS)
    assert "held back" not in full.values()
    dest = build(tmp_path / "framework", released)
    found = run_in(tmp_path, CALLS)
    for name, value in found.items():
        held = {"one_hot": "ps2", "fit": "ps3"}.get(name, "ps1") not in released
        assert value == ("held back" if held else full[name]), name
    if released == set(ORDER):   # everything released: the full framework without its markers
        for path in dest.rglob("*.py"):
            original = (edition.FRAMEWORK / path.relative_to(dest)).read_text()
            assert path.read_text() == "".join(line for line in original.splitlines(keepends=True)
                                               if not edition.MARKER.match(line)), path


FILE = '''\
def f(x):
    """doc"""
    y = x + 1
    # BEGIN REFERENCE ps2
    if y > 0:
        # BEGIN REFERENCE ps3 g
        y = -y
        # END REFERENCE ps3
    return y
    # END REFERENCE ps2
'''


def test_nested_regions_are_stripped_from_the_outside_in():
    found = regions("m.py", FILE, ORDER)
    assert [(r.assignment, r.begin, r.end, r.qualname, r.solves) for r in found] == [("ps2", 4, 10, "f", ""),
                                                                                       ("ps3", 6, 8, "f", "g")]
    outer = strip(FILE, found, set())
    assert outer.splitlines()[3:] == ['    raise NotImplementedError("f is an exercise of ps2; the framework\'s own is'
                                      ' released once ps2 is due")']
    inner = strip(FILE, found, {"ps1", "ps2"})
    assert "f solves g, an exercise of ps3" in inner and "return y" in inner and "REFERENCE" not in inner
    namespace: dict = {}
    exec(compile(inner, "m.py", "exec"), namespace)
    assert namespace["f"](-5) == -4
    with pytest.raises(NotImplementedError, match="f solves g, an exercise of ps3"):
        namespace["f"](1)


@pytest.mark.parametrize("text, says", [
    ("def f():\n    # BEGIN REFERENCE ps1\n    return 1\n", "m.py:2: `# BEGIN REFERENCE ps1` is never closed"),
    ("def f():\n    return 1\n    # END REFERENCE ps1\n", "m.py:3: `# END REFERENCE ps1` without a `# BEGIN"),
    ("def f():\n    # BEGIN REFERENCE ps1\n    return 1\n    # END REFERENCE ps2\n",
     "m.py:4: `# END REFERENCE ps2` closes `# BEGIN REFERENCE ps1` of line 2"),
    ("def f():\n    # BEGIN REFERENCE ps7\n    return 1\n    # END REFERENCE ps7\n",
     "m.py:2: `# BEGIN REFERENCE ps7` names no assignment of the course"),
    ("# BEGIN REFERENCE ps1\nX = 1\n# END REFERENCE ps1\n", "m.py:1: `# BEGIN REFERENCE ps1` lies outside every function"),
    ("def f():\n    # BEGIN REFERENCE ps1\n    return 1\n# END REFERENCE ps1\n", "m.py:4: .* is indented differently"),
    ("def f():\n    # begin reference ps1\n    return 1\n", "m.py:2: a malformed marker"),
])
def test_unbalanced_or_mismatched_markers_are_refused_with_file_and_line(text, says):
    with pytest.raises(EditionError, match=f"framework/{says}"):
        regions("m.py", text, ORDER)


@pytest.fixture
def a_framework(tmp_path, monkeypatch) -> Path:
    """A copy of framework/ the edition module builds from, and a cache folder of its own."""
    copy = tmp_path / "source" / "framework"
    shutil.copytree(edition.FRAMEWORK, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(edition, "FRAMEWORK", copy)
    monkeypatch.setattr(edition, "CACHE", tmp_path / "editions")
    return copy


def test_a_broken_marker_in_the_framework_stops_the_build(a_framework, tmp_path):
    path = a_framework / "layers.py"
    path.write_text(path.read_text().replace("# END REFERENCE ps1", "# END REFERENCE ps2", 1))
    with pytest.raises(EditionError, match=r"framework/layers.py:\d+: `# END REFERENCE ps2` closes `# BEGIN REFERENCE ps1`"):
        build(tmp_path / "out" / "framework", set())


def test_a_solution_line_outside_the_regions_stops_the_build(a_framework, tmp_path):
    line = max(secret_lines(edition.masters_of(["ps2"])[0], dict([SOLUTION])), key=len)   # of ps2's solutions
    (a_framework / "extra.py").write_text(f"def helper():\n    pass  # {line}\n")
    with pytest.raises(EditionError, match="a solution line of a master not released"):
        build(tmp_path / "out" / "framework", {"ps1"})
    assert build(tmp_path / "all" / "framework", set(ORDER)).is_dir()   # ps2 released: its lines may be there


def test_for_grading_builds_once_per_source_and_releases_the_earlier_assignments(a_framework):
    ps2 = for_grading("ps2")
    assert ps2.name == "framework" and ps2.parent.parent.name == "ps2"
    stamp = (ps2 / "layers.py").stat().st_mtime_ns
    assert for_grading("ps2") == ps2 and (ps2 / "layers.py").stat().st_mtime_ns == stamp   # cached
    assert "raise NotImplementedError" not in (ps2 / "layers.py").read_text()          # ps1 released
    assert "one_hot is an exercise of ps2" in (ps2 / "data.py").read_text()
    (a_framework / "layers.py").write_text((a_framework / "layers.py").read_text() + "\n# changed\n")
    again = for_grading("ps2")
    assert again != ps2 and (again / "layers.py").read_text().endswith("# changed\n")
    assert not ps2.exists(), "the edition of the older source is removed"
    assert "Linear.forward is an exercise of ps1" in (for_grading("ps1") / "layers.py").read_text()


def test_unknown_assignments_and_due_lists_out_of_order_are_refused():
    with pytest.raises(EditionError, match=r"unknown assignment 'ps9': course.toml \[assignments\] lists ps1, ps2"):
        for_grading("ps9")
    with pytest.raises(EditionError, match="cannot release ps9"):
        build(Path("/nonexistent/framework"), {"ps9"})
    assert released_for([]) == set() and released_for(["ps1", "ps2"]) == {"ps1", "ps2"}
    with pytest.raises(EditionError, match="fall due in the course's order"):
        released_for(["ps2"])


def test_every_marked_region_lies_in_a_function_and_stripped_editions_compile():
    files = edition.sources()
    found = edition.all_regions(files, ORDER)
    marked = {(r.path, r.qualname) for regs in found.values() for r in regs}
    for expected in [("layers.py", "Linear.forward"), ("layers.py", "Linear.backward"), ("gradcheck/numeric.py",
                     "numerical_gradient"), ("activations.py", "ReLU.forward"), ("functional.py", "softmax"),
                     ("losses.py", "SoftmaxCrossEntropy.forward"), ("sequential.py", "Sequential.backward"),
                     ("data.py", "one_hot"), ("data.py", "DataLoader.__iter__"), ("training.py", "evaluate"),
                     ("training.py", "_fit"), ("activations.py", "sigmoid"), ("data.py", "balanced_subset"),
                     ("losses.py", "BinaryCrossEntropyWithLogits.backward")]:
        assert expected in marked, expected
    for rel, regs in found.items():
        for k in range(len(ORDER) + 1):
            compile(strip(files[rel].decode(), regs, set(ORDER[:k])), rel, "exec")
