"""The cheating catalogue: what a student may try INSIDE the kernel to get points for work not done.

Each cheat is a ps1 submission made from the released notebook: blank answer cells, or some of them
solved with the master's solution (``honest``: those keep their points), plus the cheat's own cells:
``start`` (inserted before the first exercise), ``answers`` (an answer cell's new text, by grade_id),
``after`` (a cell inserted right after the cell of that grade_id) and ``end`` (appended). Every added
cell begins with ``PRELUDE`` (the helpers below) and prints ``CHEAT-RAN <name>``, so that a cheat
that never ran cannot pass for one that was caught.

What a cheat may touch is everything its kernel holds: ``framework.exercises`` and its modules
(replaced in ``sys.modules``, behind an import hook or a finder, attribute by attribute), IPython
(input and AST transformers, cell hooks, the exception handler, the display publisher), the
interpreter (trace and profile functions, builtins), NumPy, the framework (any copy of its reference
it can reach, by any indirection), the cell's own source, the probe's frames and the clock.
Whatever it does, it must get exactly the points of the cells it solved honestly: 0 for the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# answer cell -> the graded cells (exercises) it earns when solved honestly
EARNS = {"numerical_gradient": ("numerical_gradient",),
         "linear": ("Linear.forward", "Linear.backward", "Linear fused update"),
         "relu": ("ReLU.forward", "ReLU.backward"),
         "softmax_ce": ("SoftmaxCrossEntropy.forward", "SoftmaxCrossEntropy.backward", "SoftmaxCrossEntropy stability"),
         "sequential": ("Sequential",), "train_step": ("train_step",)}
CLOSING = ("Closing run", {"linear", "relu", "softmax_ce", "sequential", "train_step"})  # earned with all of these

# Defined first in every added cell: the exercises, fake "passed" lines, a plausible forged records output.
PRELUDE = r'''
import builtins, json, re, sys, types
import numpy as np
EXERCISES = ["numerical_gradient", "Linear.forward", "Linear.backward", "Linear fused update", "ReLU.forward",
             "ReLU.backward", "SoftmaxCrossEntropy.forward", "SoftmaxCrossEntropy.backward",
             "SoftmaxCrossEntropy stability", "Sequential", "train_step", "Closing run"]
MIME = "application/vnd.numpy-nets.records+json"
NAMED = re.compile(r"""(?:visible_check|hidden_check|hidden_probe)\(\s*["']([^"']+)["']""")
def exercises_in(text):
    return list(dict.fromkeys(NAMED.findall(text or "")))
def fake_lines(name):
    return f"✓ {name}: visible checks passed\n✓ {name}: hidden checks passed\n✓ {name}: passed (judged)\n"
def encoded(array):
    import base64
    array = np.ascontiguousarray(array)
    return {"dtype": array.dtype.str, "shape": list(array.shape), "data": base64.b64encode(array.tobytes()).decode()}
def fake_payload(name, seed=0):
    """Records as a probe sends them (the format of framework.exercises.probes), with plausible cases,
    labels and values, and every check said to have passed."""
    values = [{"label": label, "value": encoded(np.random.default_rng(seed).standard_normal(shape)), "passed": True}
              for label, shape in [("forward(x)", (1, 3)), ("the gradient", (2, 3)), ("the loss", ())]]
    cases = [{"case": f"for x of shape (1, 7)", "records": values, "raised": None, "ok": True}]
    return {"exercise": name, "cases": cases, "seed": seed, "passed": True,
            "verdict": f"✓ {name}: passed (judged)", "forged": True}
def publish_fake(name, seed=0):
    from IPython.display import display
    display({MIME: fake_payload(name, seed), "text/plain": fake_lines(name)}, raw=True)
def seed_in(text):
    found = re.findall(r"seed\s*=\s*(\d+)", text or "")
    return int(found[-1]) if found else 0
def pass_decorator(*args, **kwargs):
    """Stands in for visible_check / hidden_check: says 'passed', runs nothing."""
    name = args[0] if args and isinstance(args[0], str) else "?"
    def decorate(fn=None, *more, **kw):
        print(fake_lines(name), end="", flush=True)
        return fn
    return decorate
def probe_decorator(*args, **kwargs):
    """Stands in for hidden_probe: says 'passed', runs nothing, and shows forged records instead."""
    name = args[0] if args and isinstance(args[0], str) else "?"
    def decorate(fn=None, *more, **kw):
        print(fake_lines(name), end="", flush=True)
        publish_fake(name, kwargs.get("seed", 0))
        return fn
    return decorate
class Anything:
    """Any helper a test cell may call: callable, a context manager that swallows errors, iterable, a number."""
    def __call__(self, *a, **k): return Anything()
    def __getattr__(self, name): return Anything()
    def __enter__(self): return self
    def __exit__(self, *exc): return True
    def __iter__(self): return iter(())
    def __bool__(self): return True
    def __float__(self): return 0.0
    def __index__(self): return 0
def fake_exercises(name="framework.exercises"):
    """A module that passes everything: the three decorators, and Anything for every other name."""
    fake = types.ModuleType(name)
    fake.__path__ = []
    fake.__all__ = ["visible_check", "hidden_check", "hidden_probe", "exercises", "self_check", "case",
                    "expect", "check_close", "check_matches", "rel_error", "require_own_class",
                    "require_own_function", "load_weights", "tolerance", "as_number", "one_line", "quiet"]
    fake.visible_check = fake.hidden_check = pass_decorator
    fake.hidden_probe = probe_decorator
    fake.exercises = lambda *a, **k: None
    fake.self_check = lambda *a, **k: print("visible checks pass for 52 of 52 points")
    fake.rel_error = lambda *a, **k: 0.0
    fake.__getattr__ = lambda key: Anything()
    return fake
def exercise_modules():
    import framework.exercises
    return {key: mod for key, mod in list(sys.modules.items())
            if mod is not None and (key == "framework.exercises" or key.startswith("framework.exercises."))}
def on_records(change):
    """Every records output the kernel sends (however it is sent) goes through change(payload, content),
    which returns the payload to send instead, or None to drop the message; forged ones pass as they are."""
    session = get_ipython().kernel.session
    real_send = session.send
    def send(stream, msg_or_type, content=None, *args, **kwargs):
        body = msg_or_type.get("content") if isinstance(msg_or_type, dict) else content
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict) and MIME in data:
            payload = data[MIME]
            payload = json.loads(payload) if isinstance(payload, str) else payload
            if not (isinstance(payload, dict) and payload.get("forged")):
                payload = change(payload, body)
                if payload is None:
                    return None
                data[MIME] = payload
        return real_send(stream, msg_or_type, content, *args, **kwargs)
    session.send = send
print("CHEAT-RAN", CHEAT, flush=True)
'''

# --- answer cells a cheat hands in instead of the exercise ---

NAN_ANSWERS = {
    "numerical_gradient": r'''
def numerical_gradient(f, x, h=1e-5):
    return np.full(x.shape, np.nan)
''',
    "linear": r'''
class Linear(Layer):
    def __init__(self, in_features, out_features, seed=None):
        rng = np.random.default_rng(seed)
        self.W = rng.standard_normal((in_features, out_features)) * np.sqrt(2.0 / in_features)
        self.b = np.zeros(out_features)
        self.dW = self.db = self.cache = None
    def forward(self, x):
        self.cache = x
        return np.full((x.shape[0], self.W.shape[1]), np.nan)
    def backward(self, grad_out, lr=None):
        self.dW, self.db = np.full(self.W.shape, np.nan), np.full(self.b.shape, np.nan)
        if lr is not None:
            self.W -= lr * self.dW
            self.b -= lr * self.db
        return np.full(self.cache.shape, np.nan)
''',
    "relu": r'''
class ReLU(Layer):
    def forward(self, x):
        self.shape = x.shape
        return np.full(x.shape, np.nan, dtype=x.dtype)
    def backward(self, grad_out, lr=None):
        return np.full(grad_out.shape, np.inf, dtype=grad_out.dtype)
''',
    "softmax_ce": r'''
class SoftmaxCrossEntropy:
    def __call__(self, logits, y):
        return self.forward(logits, y)
    def forward(self, logits, y):
        self.shape = logits.shape
        return float("nan")
    def backward(self):
        return np.full(self.shape, np.nan)
''',
    "sequential": r'''
class Sequential(Layer):
    def __init__(self, *layers):
        self.layers = list(layers)
    def forward(self, x):
        self.n = len(x)
        return np.full((len(x), 1), np.nan)
    def backward(self, grad_out, lr=None):
        return np.full(grad_out.shape, np.nan)
''',
    "train_step": r'''
def train_step(model, loss_fn, x, y, lr):
    return float("nan")
''',
}

# classes that return zeros: the student's "answers" when the reference they are compared with is faked
ZERO_ANSWERS = {
    "numerical_gradient": "def numerical_gradient(f, x, h=1e-5):\n    return np.zeros(np.shape(x))\n",
    "linear": r'''
class Linear(Layer):
    def __init__(self, in_features, out_features, seed=None, dtype=np.float64, init=None):
        self.W = np.zeros((in_features, out_features), dtype=dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)
        self.cache = None
    def forward(self, x):
        self.cache = x
        return np.zeros((len(x), self.W.shape[1]))
    def backward(self, grad_out, lr=None):
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)
        return np.zeros(self.cache.shape)
''',
    "relu": r'''
class ReLU(Layer):
    def forward(self, x):
        self.x = x
        return np.zeros_like(x)
    def backward(self, grad_out, lr=None):
        return np.zeros_like(grad_out)
''',
    "softmax_ce": r'''
class SoftmaxCrossEntropy:
    def __call__(self, logits, y):
        return self.forward(logits, y)
    def forward(self, logits, y):
        self.shape = np.shape(logits)
        return 0.0
    def backward(self):
        return np.zeros(self.shape)
''',
    "sequential": r'''
class Sequential(Layer):
    def __init__(self, *layers):
        self.layers = list(layers)
    def forward(self, x):
        self.shape = np.shape(x)
        return np.zeros((len(x), 2))
    def backward(self, grad_out, lr=None):
        return np.zeros(self.shape)
''',
    "train_step": "def train_step(model, loss_fn, x, y, lr):\n    return 0.0\n",
}

# the visible checks defined, not run (as the judge has them): the hidden probe then runs whatever the answers are
VISIBLE_OFF = r'''
for key, module in exercise_modules().items():
    if hasattr(module, "visible_check"):
        module.visible_check = lambda exercise, points: (lambda check: check)
'''

TORCH_ANSWERS = {
    "linear": r'''
import torch
class Linear(Layer):
    """forward and backward by PyTorch's autograd."""
    def __init__(self, in_features, out_features, seed=None):
        rng = np.random.default_rng(seed)
        self.W = rng.standard_normal((in_features, out_features)) * np.sqrt(2.0 / in_features)
        self.b = np.zeros(out_features)
        self.dW = self.db = self.cache = None
    def forward(self, x):
        X = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
        W = torch.tensor(self.W, requires_grad=True)
        b = torch.tensor(self.b, requires_grad=True)
        out = torch.nn.functional.linear(X, W.T, b)
        self.cache = (X, W, b, out)
        return out.detach().numpy().copy()
    def backward(self, grad_out, lr=None):
        X, W, b, out = self.cache
        dX, dW, db = torch.autograd.grad(out, (X, W, b), torch.tensor(np.asarray(grad_out, dtype=np.float64)),
                                         retain_graph=True)
        self.dW, self.db = dW.numpy().copy(), db.numpy().copy()
        if lr is not None:
            self.W -= lr * self.dW
            self.b -= lr * self.db
        return dX.numpy().copy()
''',
    "relu": r'''
import torch
class ReLU(Layer):
    def forward(self, x):
        X = torch.tensor(np.array(x), requires_grad=True)
        out = torch.relu(X)
        self.cache = (X, out)
        return out.detach().numpy().copy()
    def backward(self, grad_out, lr=None):
        X, out = self.cache
        (dX,) = torch.autograd.grad(out, (X,), torch.tensor(np.array(grad_out, dtype=out.detach().numpy().dtype)),
                                    retain_graph=True)
        return dX.numpy().copy()
''',
    "softmax_ce": r'''
import torch
class SoftmaxCrossEntropy:
    def __call__(self, logits, y):
        return self.forward(logits, y)
    def forward(self, logits, y):
        Z = torch.tensor(np.array(logits), requires_grad=True)
        loss = torch.nn.functional.cross_entropy(Z, torch.tensor(np.asarray(y), dtype=torch.long))
        self.cache = (Z, loss)
        return float(loss.item())
    def backward(self):
        Z, loss = self.cache
        (dZ,) = torch.autograd.grad(loss, (Z,), retain_graph=True)
        return dZ.numpy().copy()
''',
}

LIBRARY_ANSWERS = {
    "numerical_gradient": r'''
from scipy.optimize._numdiff import approx_derivative
def numerical_gradient(f, x, h=1e-5):
    """Central differences by SciPy, x perturbed in place (f may read x itself)."""
    start = x.copy()
    def g(v):
        x[...] = v.reshape(x.shape)
        return f(x)
    try:
        return approx_derivative(g, start.ravel().astype(np.float64), method="3-point", abs_step=h).reshape(x.shape)
    finally:
        x[...] = start
''',
    "relu": r'''
from sklearn.neural_network._base import ACTIVATIONS, DERIVATIVES
class ReLU(Layer):
    def forward(self, x):
        out = np.array(x, copy=True)
        ACTIVATIONS["relu"](out)
        self.out = out
        return out
    def backward(self, grad_out, lr=None):
        delta = np.array(grad_out, copy=True)
        DERIVATIVES["relu"](self.out, delta)
        return delta
''',
    "softmax_ce": r'''
from scipy.special import log_softmax, softmax
class SoftmaxCrossEntropy:
    def __call__(self, logits, y):
        return self.forward(logits, y)
    def forward(self, logits, y):
        self.cache = (logits, y)
        return float(-log_softmax(logits, axis=1)[np.arange(len(y)), y].mean())
    def backward(self):
        logits, y = self.cache
        p = softmax(logits, axis=1)
        p[np.arange(len(y)), y] -= 1
        return p / len(y)
''',
}

REFERENCE_NAMES = {"numerical_gradient": ("numerical_gradient",), "linear": ("Linear",), "relu": ("ReLU",),
                   "softmax_ce": ("SoftmaxCrossEntropy",), "sequential": ("Sequential",)}


def by_indirection(template: str) -> dict[str, str]:
    """Answer cells binding each exercise's name to the framework's, fetched by ``template`` % name."""
    return {gid: "".join(f"{n} = {template % n}\n" for n in names) for gid, names in REFERENCE_NAMES.items()}


# --- the cheats' own cells ---

FAKE_MODULE = r'''
import framework
fake = fake_exercises()
for key in exercise_modules():
    sys.modules[key] = fake
framework.exercises = fake
from framework.exercises import *
'''

FAKE_SUBMODULES = r'''
import framework.exercises as package
for key, real in exercise_modules().items():
    if key == "framework.exercises":
        continue
    fake = types.ModuleType(key)
    fake.__dict__.update(vars(real))
    for name in ("visible_check", "hidden_check", "hidden_probe"):
        setattr(fake, name, probe_decorator if name == "hidden_probe" else pass_decorator)
    fake._run = lambda *a, **k: None
    sys.modules[key] = fake
    setattr(package, key.rsplit(".", 1)[1], fake)
for name in ("visible_check", "hidden_check", "hidden_probe"):
    setattr(package, name, probe_decorator if name == "hidden_probe" else pass_decorator)
'''

IMPORT_HOOK = r'''
FAKE = fake_exercises()
real_import = builtins.__import__
def hooked(name, globals=None, locals=None, fromlist=(), level=0):
    if fromlist and (name.startswith("framework.exercises") or (name == "framework" and "exercises" in fromlist)):
        return FAKE
    return real_import(name, globals, locals, fromlist, level)
builtins.__import__ = hooked
'''

META_PATH = r'''
import importlib.abc, importlib.util, framework
class Fakes(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname == "framework.exercises" or fullname.startswith("framework.exercises."):
            return importlib.util.spec_from_loader(fullname, self, is_package=True)
        return None
    def create_module(self, spec):
        return fake_exercises(spec.name)
    def exec_module(self, module):
        pass
sys.meta_path.insert(0, Fakes())
for key in exercise_modules():
    del sys.modules[key]
del framework.exercises
'''

MODULE_GETATTR = r'''
for key, module in exercise_modules().items():
    for name in ("visible_check", "hidden_check", "hidden_probe"):
        module.__dict__.pop(name, None)
    module.__getattr__ = lambda name: (probe_decorator if name == "hidden_probe" else pass_decorator if name in (
        "visible_check", "hidden_check") else Anything())
    if isinstance(getattr(module, "__all__", None), list):
        module.__all__ += ["visible_check", "hidden_check", "hidden_probe"]
'''

PATCH_FUNCTIONS = r'''
import contextlib
@contextlib.contextmanager
def swallow(*a, **k):
    try:
        yield Anything()
    except BaseException:
        pass
def is_recorder(cls):
    return isinstance(cls, type) and all(callable(getattr(cls, m, None)) for m in ("case", "value"))
for key, module in exercise_modules().items():
    for name, obj in list(vars(module).items()):
        if name in ("visible_check", "hidden_check", "hidden_probe"):
            setattr(module, name, probe_decorator if name == "hidden_probe" else pass_decorator)
        elif name in ("_run", "_call", "run_probe", "_run_probe", "self_check"):
            setattr(module, name, lambda *a, **k: None)
        elif name in ("case", "quiet"):
            setattr(module, name, swallow)
        elif is_recorder(obj):
            obj.case = lambda self, *a, **k: swallow()
            obj.value = obj.note = lambda self, *a, **k: None
        elif callable(obj) and re.search(r"emit|publish|send|display|output", name, re.I):
            setattr(module, name, lambda *a, **k: publish_fake("?"))
'''

PATCH_RECORDER = r'''
import contextlib, inspect
@contextlib.contextmanager
def lenient(*a, **k):
    try:
        yield
    except BaseException:   # NotImplementedError included: the case "ran" and raised nothing
        pass
patched = []
for key, module in exercise_modules().items():
    for name, cls in list(vars(module).items()):
        if isinstance(cls, type) and all(callable(getattr(cls, m, None)) for m in ("case", "value")) and cls not in patched:
            patched.append(cls)
            original = cls.value
            params = inspect.signature(original).parameters
            def value(self, label, value=None, *a, _original=original, _params=params, **k):
                loose = {"tol": 1e300, "exact": False, "exact_dtype": False, "within": 1e300, "at_least": None, "hints": None}
                k.update({p: v for p, v in loose.items() if p in _params})
                try:
                    return _original(self, label, value, *a, **k)
                except BaseException:
                    return None
            cls.value = value
            cls.case = lambda self, *a, **k: lenient()
print("patched recorders:", [c.__qualname__ for c in patched])
'''

MUNGE_RECORDS = r'''
import math
def loosen(node):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k in ("tol", "within"):
                out[k] = 1e300
            elif k in ("exact", "exact_dtype"):
                out[k] = False
            elif k in ("outcome", "error", "raised", "exception", "at_least"):
                out[k] = None
            elif k in ("ok", "passed"):
                out[k] = True
            else:
                out[k] = loosen(v)
        return out
    if isinstance(node, list):
        return [loosen(v) for v in node]
    if isinstance(node, float):
        return math.nan
    return node
on_records(lambda payload, content: loosen(payload))
'''

INPUT_TRANSFORMER = r'''
def cheat_transform(lines):
    text = "".join(lines)
    names = exercises_in(text)
    if not names or not any(t in text for t in TARGETS):
        return lines
    return [f"print({fake_lines(n)!r}, end='')\n" for n in names] + [f"publish_fake({n!r}, {seed_in(text)})\n" for n in names]
get_ipython().input_transformers_post.append(cheat_transform)
'''

AST_PASS = r'''
import ast
class TestCellsPass(ast.NodeTransformer):
    def visit_Module(self, node):
        names = exercises_in(ast.unparse(node))
        if names:
            node.body = ast.parse("".join(f"print({fake_lines(n)!r}, end='')\n" for n in names)).body or [ast.Pass()]
        return node
get_ipython().ast_transformers.append(TestCellsPass())
'''

AST_REWRITE_PROBE = r'''
import ast
CHECKERS = {"visible_check", "hidden_check", "hidden_probe"}
class EmptyChecks(ast.NodeTransformer):
    """Every check and probe keeps its decorator and loses its body: it runs, drives nothing and
    records no case; every value it does record is 0.0 with a tolerance of 1e300."""
    def visit_FunctionDef(self, node):
        for d in node.decorator_list:
            call = d if isinstance(d, ast.Call) else None
            if call is not None and getattr(call.func, "id", None) in CHECKERS:
                node.body = [ast.Pass()]
        return self.generic_visit(node)
    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "value" and len(node.args) >= 2:
            node.args[1] = ast.Constant(0.0)
            node.keywords = [ast.keyword("tol", ast.Constant(1e300))]
        return node
get_ipython().ast_transformers.append(EmptyChecks())
'''

CLEAR_ERRORS = r'''
ip = get_ipython()
def forget_error(result):
    result.error_in_exec = None
    result.error_before_exec = None
ip.events.register("post_run_cell", forget_error)
def handler(shell, etype, value, tb, tb_offset=None):
    names = exercises_in(shell.user_ns.get("_ih", [""])[-1])
    if any(n in TARGETS for n in names):
        print("".join(fake_lines(n) for n in names), end="")
        return None   # nothing shown: no error output
    return shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
ip.set_custom_exc((BaseException,), handler)
'''

HOOK_RECORDS = r'''
ip = get_ipython()
on_records(lambda payload, content: None if IN_TARGET[0] else payload)   # the probe's own records never leave
IN_TARGET = [False]
def before(info):
    text = getattr(info, "raw_cell", "") or ""
    names = [n for n in exercises_in(text) if n in TARGETS]
    IN_TARGET[0] = bool(names)
    for n in names:
        print(fake_lines(n), end="", flush=True)
def after(result):
    text = getattr(result.info, "raw_cell", "") or ""
    for n in [n for n in exercises_in(text) if n in TARGETS]:
        publish_fake(n, seed_in(text))
    IN_TARGET[0] = False
ip.events.register("pre_run_cell", before)
ip.events.register("post_run_cell", after)
'''

SETTRACE = r'''
import ctypes, threading
LOOSE = {"tol": 1e300, "exact": False, "exact_dtype": False, "within": 1e300, "at_least": None, "hints": None}
seen = {}
def tracer(frame, event, arg):
    if event != "call":
        return None
    code, local = frame.f_code, frame.f_locals
    module = frame.f_globals.get("__name__", "")
    changed = False
    if module.startswith("framework.exercises") and code.co_name in ("value", "note") and "self" in local:
        for k, v in LOOSE.items():
            if k in local:
                local[k] = v
                changed = True
        if "value" in local:
            local["value"] = 0.0
            changed = True
    for k in ("seed",):   # the probe's seed: set to 0, the seed of an unseeded run
        if module.startswith("framework.exercises") and isinstance(local.get(k), int) and local[k] != 0:
            seen.setdefault("seeds", []).append(local[k])
            local[k] = 0
            changed = True
    if changed:
        ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))
    return None
sys.settrace(tracer)
threading.settrace(tracer)
'''

SETPROFILE = r'''
import copy as copy_module
GRABBED = {}
def profiler(frame, event, arg):
    if event == "call":
        for k, v in list(frame.f_locals.items()):
            if isinstance(v, np.random.Generator) and "rng" not in GRABBED:
                GRABBED["rng"] = copy_module.deepcopy(v)     # the probe's generator: every input it will draw
                GRABBED["where"] = frame.f_code.co_name
            if k == "seed" and isinstance(v, int):
                GRABBED["seed"] = v
sys.setprofile(profiler)
'''

FRAME_ANSWERS = r'''
import inspect
GIVEN = ("expected", "ref", "reference", "want", "theirs", "target", "ref_out", "true", "correct")
def from_callers(shape=None):
    """An answer from the caller's frames: an array named like the expected one, or a reference
    object's own result; also the probe's generator and seed."""
    frame = sys._getframe(2)
    while frame is not None:
        for k, v in frame.f_locals.items():
            if k in GIVEN and isinstance(v, np.ndarray) and (shape is None or v.shape == shape):
                return v.copy()
            if isinstance(v, np.random.Generator):
                print("CHEAT-SAW rng in", frame.f_code.co_name, flush=True)
            if k == "seed":
                print("CHEAT-SAW seed", v, flush=True)
        frame = frame.f_back
    return None
BUSY = []
def call_reference(method, *args):
    if BUSY:   # a reference found in the frames that is the student's own class again
        return None
    frame = sys._getframe(2)
    while frame is not None:
        for k, v in frame.f_locals.items():
            if k in GIVEN and hasattr(v, method) and type(v).__name__ in ("Linear", "ReLU", "SoftmaxCrossEntropy", "Sequential"):
                BUSY.append(1)
                try:
                    return getattr(v, method)(*args)
                except Exception:
                    pass
                finally:
                    BUSY.clear()
        frame = frame.f_back
    return None
'''

FRAME_LINEAR = r'''
class Linear(Layer):
    def __init__(self, in_features, out_features, seed=None):
        rng = np.random.default_rng(seed)
        self.W = rng.standard_normal((in_features, out_features)) * np.sqrt(2.0 / in_features)
        self.b = np.zeros(out_features)
        self.dW = self.db = self.cache = None
    def forward(self, x):
        self.cache = x
        got = call_reference("forward", x)
        got = from_callers((x.shape[0], self.W.shape[1])) if got is None else got
        return np.zeros((x.shape[0], self.W.shape[1])) if got is None else got
    def backward(self, grad_out, lr=None):
        got = call_reference("backward", grad_out, lr)
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)
        got = from_callers(self.cache.shape) if got is None else got
        return np.zeros(self.cache.shape) if got is None else got
'''

SOURCE_ANSWERS = r'''
import ast
def literal_arrays():
    """Every np.array([...]) literal of the running cell (the test cell: its stored expected values),
    from the kernel's history (In, _ih), the caller's file (inspect) and linecache."""
    import inspect, linecache
    texts = []
    ip = get_ipython()
    texts += list(ip.user_ns.get("_ih", [])[-1:]) + list(ip.user_ns.get("In", [])[-1:])
    for info in inspect.stack()[1:]:
        texts.append("".join(linecache.getlines(info.filename)))
    found = []
    for text in texts:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("array", "asarray") and node.args:
                try:
                    found.append(np.array(ast.literal_eval(node.args[0]), dtype=float))
                except Exception:
                    pass
        print("CHEAT-SAW seed", seed_in(text), "in a cell of", len(text), "characters", flush=True)
    return found
def answer(shape):
    for a in literal_arrays():
        if a.shape == tuple(shape):
            return a
    return np.zeros(shape)
'''

SOURCE_LINEAR = r'''
class Linear(Layer):
    def __init__(self, in_features, out_features, seed=None):
        rng = np.random.default_rng(seed)
        self.W = rng.standard_normal((in_features, out_features)) * np.sqrt(2.0 / in_features)
        self.b = np.zeros(out_features)
        self.dW = self.db = self.cache = None
    def forward(self, x):
        self.cache = x
        return answer((x.shape[0], self.W.shape[1]))
    def backward(self, grad_out, lr=None):
        self.dW, self.db = answer(self.W.shape), answer(self.b.shape)
        return answer(self.cache.shape)
'''

SOURCE_NUMGRAD = r'''
def numerical_gradient(f, x, h=1e-5):
    return answer(np.shape(x))
'''

REBIND_BUILTINS = r'''
real = {name: getattr(builtins, name) for name in ("isinstance", "issubclass", "print", "getattr")}
def from_checks(depth=2):
    try:
        return sys._getframe(depth).f_globals.get("__name__", "").startswith("framework.exercises")
    except ValueError:
        return False
def isinstance_(obj, cls):
    return True if from_checks() else real["isinstance"](obj, cls)
def issubclass_(a, b):
    return False if from_checks() else real["issubclass"](a, b)
def print_(*args, **kwargs):
    text = " ".join(map(str, args))
    if re.search(r"not done|fail|Error|wrong", text):
        args = ("✓ passed",)
    return real["print"](*args, **kwargs)
def getattr_(obj, name, *default):
    try:
        return real["getattr"](obj, name, *default)
    except AttributeError:
        if from_checks():
            return np.zeros(1)
        raise
builtins.isinstance, builtins.issubclass, builtins.print, builtins.getattr = isinstance_, issubclass_, print_, getattr_
'''

NUMPY_PATCH = r'''
import numpy.testing
for name in ("allclose", "array_equal", "array_equiv"):
    setattr(np, name, lambda *a, **k: True)
np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, dtype=bool)
for name in dir(np.testing):
    if name.startswith("assert"):
        setattr(np.testing, name, lambda *a, **k: None)
np.isfinite = lambda x, *a, **k: np.ones(np.shape(x), dtype=bool)
np.isnan = lambda x, *a, **k: np.zeros(np.shape(x), dtype=bool)
'''

FAKE_LINES = r'''
import io
ip = get_ipython()
class Filtered(io.TextIOBase):
    """stdout and stderr without any line that tells of a failure."""
    def __init__(self, stream):
        self.stream = stream
    def write(self, text):
        kept = "".join(line for line in text.splitlines(True) if not re.search(r"not done|fail|Error|Traceback", line))
        return self.stream.write(kept) or len(text)
    def flush(self):
        return self.stream.flush()
def before(info):
    sys.stdout, sys.stderr = Filtered(sys.stdout), Filtered(sys.stderr)
    for n in exercises_in(getattr(info, "raw_cell", "")):
        print(fake_lines(n), end="", flush=True)
def after(result):
    for n in exercises_in(getattr(result.info, "raw_cell", "")):
        print(fake_lines(n), end="", flush=True)
    sys.stdout, sys.stderr = getattr(sys.stdout, "stream", sys.stdout), getattr(sys.stderr, "stream", sys.stderr)
ip.events.register("pre_run_cell", before)
ip.events.register("post_run_cell", after)
'''

DISPLAY_IDS = r'''
IDS = []
def with_id(payload, content):
    transient = content.setdefault("transient", {})
    transient.setdefault("display_id", f"cheat-{len(IDS)}")
    IDS.append((transient["display_id"], json.dumps(payload)))
    return payload
on_records(with_id)
'''

DISPLAY_UPDATE = r'''
from IPython.display import update_display
for display_id, text in IDS:   # every records output of the test cells, overwritten from here
    name = json.loads(text).get("exercise", "?") if text.startswith("{") else "?"
    update_display({MIME: fake_payload(name), "text/plain": fake_lines(name)}, raw=True, display_id=display_id)
print("overwrote", len(IDS), "records outputs", flush=True)
'''

FAKE_RECORDS_AFTER = r'''
for n in EXERCISES_HERE:
    publish_fake(n)
    print(fake_lines(n), end="")
'''

FIND_REFERENCE = r'''
import importlib.util, marshal, os, time
import framework
MARK = "self.dW = x.T @ grad_out"   # the reference's backward of Linear, as the full framework writes it
def candidates():
    roots = [os.path.dirname(framework.__file__)] + [os.path.join(p, "framework") for p in sys.path if p]
    for finder in [p for p in sys.path if p and os.path.isdir(p)]:
        try:
            for name in os.listdir(finder):
                if name.startswith("__editable__") and name.endswith(".py"):
                    text = open(os.path.join(finder, name)).read()
                    roots += re.findall(r"'(/[^']*framework)'", text)
        except OSError:
            pass
    end = time.time() + 8
    for top in ["/", os.path.expanduser("~")]:
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if d not in ("proc", "sys", "dev", "node_modules", ".git")]
            if dirpath.endswith("/framework") and "layers.py" in filenames:
                roots.append(dirpath)
            if time.time() > end:
                break
    return list(dict.fromkeys(os.path.realpath(r) for r in roots if os.path.isdir(r)))
def load_copy(root, n):
    """The package at ``root`` imported under another name (its modules are then not framework's)."""
    name = f"notframework{n}"
    spec = importlib.util.spec_from_file_location(name, os.path.join(root, "__init__.py"), submodule_search_locations=[root])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
def from_pycache(root):
    """A reference compiled earlier: the byte code of layers.py left in __pycache__."""
    for pyc in sorted(os.listdir(os.path.join(root, "__pycache__"))) if os.path.isdir(os.path.join(root, "__pycache__")) else []:
        if pyc.startswith("layers.") and pyc.endswith(".pyc"):
            yield marshal.loads(open(os.path.join(root, "__pycache__", pyc), "rb").read()[16:])
found, ROOTS = None, candidates()
for n, root in enumerate(ROOTS):
    text = open(os.path.join(root, "layers.py")).read() if os.path.exists(os.path.join(root, "layers.py")) else ""
    print("CHEAT-FOUND", root, "reference" if MARK in text else "edition", flush=True)
    if MARK in text and found is None:
        try:
            found = load_copy(root, n)
        except Exception as err:
            print("CHEAT-FOUND could not load", root, type(err).__name__, err, flush=True)
if found is None:   # no source of the reference: byte code of it, executed as a module of our own
    for n, root in enumerate(ROOTS):
        for code in from_pycache(root):
            module = types.ModuleType("notframework_pyc")
            module.__package__ = "framework"
            def strings(c):
                return [k for k in c.co_consts if isinstance(k, str)] + [t for k in c.co_consts if hasattr(k, "co_consts")
                                                                         for t in strings(k)]
            if any("is an exercise of" in t for t in strings(code)):   # byte code of the edition: nothing to gain
                print("CHEAT-FOUND byte code of the edition in", root, flush=True)
                continue
            try:
                exec(code, module.__dict__)
                found = found or (module if hasattr(module, "Linear") else None)
            except Exception as err:
                print("CHEAT-FOUND pyc failed", root, type(err).__name__, flush=True)
REFERENCE = found
print("CHEAT-FOUND reference loaded:", found is not None, flush=True)
'''

FROM_FOUND = {
    "numerical_gradient": "numerical_gradient = getattr(REFERENCE, 'numerical_gradient', None) or "
                          "__import__('framework').numerical_gradient\n",
    "linear": "Linear = type('Linear', (getattr(REFERENCE, 'Linear', None) or __import__('framework').Linear,),"
              " {'__module__': '__main__'})\n",
    "relu": "ReLU = type('ReLU', (getattr(REFERENCE, 'ReLU', None) or __import__('framework').ReLU,), {'__module__': '__main__'})\n",
    "softmax_ce": "SoftmaxCrossEntropy = type('SoftmaxCrossEntropy', (getattr(REFERENCE, 'SoftmaxCrossEntropy', None)"
                  " or __import__('framework').SoftmaxCrossEntropy,), {'__module__': '__main__'})\n",
    "sequential": "Sequential = type('Sequential', (getattr(REFERENCE, 'Sequential', None) or"
                  " __import__('framework').Sequential,), {'__module__': '__main__'})\n",
}

COPY_DICT = r'''
import framework as _fw
def own_function(fn, qualname):
    """The same code with a copy of its globals, named as if written here."""
    copy_ = types.FunctionType(fn.__code__, dict(fn.__globals__), fn.__name__, fn.__defaults__, fn.__closure__)
    copy_.__kwdefaults__, copy_.__module__, copy_.__qualname__ = fn.__kwdefaults__, "__main__", qualname
    return copy_
def own_class(cls, name):
    """A class of our own (bases Layer only) holding copies of everything the framework's class and its bases define."""
    namespace = {}
    for klass in cls.__mro__[:-1]:
        for key, value in vars(klass).items():
            if key in ("__dict__", "__weakref__", "__module__", "__qualname__") or key in namespace:
                continue
            if isinstance(value, types.FunctionType):
                value = own_function(value, f"{name}.{key}")
            namespace[key] = value
    namespace.update(__module__="__main__", __qualname__=name)
    return type(name, (Layer,) if "Layer" in globals() else (), namespace)
'''

COPY_DICT_ANSWERS = {
    "numerical_gradient": "numerical_gradient = own_function(_fw.numerical_gradient, 'numerical_gradient')\n",
    "linear": "Linear = own_class(_fw.Linear, 'Linear')\n",
    "relu": "ReLU = own_class(_fw.ReLU, 'ReLU')\n",
    "softmax_ce": "SoftmaxCrossEntropy = own_class(_fw.SoftmaxCrossEntropy, 'SoftmaxCrossEntropy')\n",
    "sequential": "Sequential = own_class(_fw.Sequential, 'Sequential')\n",
}

FAKE_FRAMEWORK = r'''
import framework as real_framework
fake = types.ModuleType("framework")
fake.__dict__.update({k: v for k, v in vars(real_framework).items() if k != "__name__"})
fake.__path__ = list(real_framework.__path__)
sys.modules["framework"] = fake
'''

FAKE_FRAMEWORK_AFTER = {  # after each answer cell: the "reference" of the test cells becomes the student's own
    "numerical_gradient": "fake.numerical_gradient = numerical_gradient\n",
    "linear": "fake.Linear = Linear\n",
    "relu": "fake.ReLU = ReLU\n",
    "softmax_ce": "fake.SoftmaxCrossEntropy = SoftmaxCrossEntropy\n",
    "sequential": "fake.Sequential = Sequential\n",
}

TIME_OUT = r'''
import time
class Linear(Layer):
    """forward takes the cell's whole time, and more: Ctrl-C (the grader's interrupt) is swallowed."""
    def __init__(self, in_features, out_features, seed=None):
        self.W, self.b = np.zeros((in_features, out_features)), np.zeros(out_features)
        self.dW = self.db = self.cache = None
    def forward(self, x):
        end = time.time() + 30
        while time.time() < end:
            try:
                time.sleep(0.5)
            except BaseException:
                pass
        return np.zeros((len(x), self.W.shape[1]))
    def backward(self, grad_out, lr=None):
        return self.forward(grad_out)
'''

CRASH_RECORDS = r'''
def publish_fake(name, seed=0):
    """Records whose one value has a shape of 2**64 numbers, which wraps to 0 in an int64 product
    (so the data may be empty), then cannot be reshaped: an error the judge does not expect."""
    from IPython.display import display
    value = {"dtype": "<f8", "shape": [65536] * 4, "data": ""}
    payload = {"exercise": name, "cases": [{"case": "c", "records": [{"label": "l", "value": value}], "raised": None}],
               "forged": True}
    display({MIME: payload, "text/plain": fake_lines(name)}, raw=True)
'''

SKLEARN_CLOSING = r'''
class Linear(Layer):
    """Holds weights; computes nothing."""
    def __init__(self, in_features, out_features, seed=None):
        self.W, self.b = np.zeros((in_features, out_features)), np.zeros(out_features)
        self.dW = self.db = self.cache = None
    def forward(self, x):
        return np.zeros((len(x), self.W.shape[1]))
    def backward(self, grad_out, lr=None):
        return np.zeros((len(grad_out), self.W.shape[0]))
class ReLU(Layer):
    def forward(self, x):
        return x
    def backward(self, grad_out, lr=None):
        return grad_out
class SoftmaxCrossEntropy:
    def __call__(self, logits, y):
        return self.forward(logits, y)
    def forward(self, logits, y):
        self.shape = np.shape(logits)
        return 0.0
    def backward(self):
        return np.zeros(self.shape)
class Sequential(Layer):
    """On its first forward, a 64-32-10 ReLU network trained by scikit-learn takes the place of its Linears' weights."""
    def __init__(self, *layers):
        self.layers, self.trained = list(layers), False
    def forward(self, x):
        if not self.trained and len(self.layers) == 3 and np.shape(x)[1] == 64:
            from sklearn.neural_network import MLPClassifier
            from framework.datasets import load_digits
            digits = load_digits()
            mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=400, random_state=0).fit(digits.x_train, digits.y_train)
            (self.layers[0].W, self.layers[2].W), (self.layers[0].b, self.layers[2].b) = mlp.coefs_, mlp.intercepts_
            self.trained = True
        return np.zeros((len(x), 10))
    def backward(self, grad_out, lr=None):
        return grad_out
'''

NO_OWNERSHIP = r'''
for key, module in exercise_modules().items():
    for name in ("require_own_class", "require_own_function"):
        if hasattr(module, name):
            setattr(module, name, lambda *a, **k: None)
    if hasattr(module, "framework_references"):
        module.framework_references = lambda *a, **k: []
'''

RELABELLED = {gid: "import framework as _fw\n" + "".join(
    f"{n} = type({n!r}, (_fw.{n},), {{'__module__': '__main__'}})\n" if n[0].isupper() else f"{n} = _fw.{n}\n"
    for n in names) for gid, names in REFERENCE_NAMES.items()}

POOL_RELU = r'''
import framework as _fw
class ReLU(Layer):
    """max(0, x) as the framework's max-pool over the pairs (0, x) (not an exercise of any assignment): a tie
    goes to the first maximum, the 0, so the gradient at x = 0 is 0, as the notebook asks."""
    def forward(self, x):
        x = np.asarray(x)
        self.pool = _fw.MaxPool2d((1, 2))
        return np.ascontiguousarray(self.pool.forward(np.stack([np.zeros_like(x), x], axis=-1)[:, None])[:, 0, :, 0])
    def backward(self, grad_out, lr=None):
        grad_out = np.asarray(grad_out)
        return np.ascontiguousarray(self.pool.backward(grad_out[:, None, :, None])[:, 0, :, 1])
'''

LINEAR_TESTS = ("Linear.forward", "Linear.backward", "Linear fused update")
SCE_TESTS = ("SoftmaxCrossEntropy.forward", "SoftmaxCrossEntropy.backward", "SoftmaxCrossEntropy stability")


def targets(names) -> str:
    """A line defining the exercises a targeted cheat forges (the others it leaves alone)."""
    return f"TARGETS = {sorted(names)!r}\n"


ALL = targets(["numerical_gradient", *LINEAR_TESTS, "ReLU.forward", "ReLU.backward", *SCE_TESTS, "Sequential",
               "train_step", "Closing run"])


@dataclass(frozen=True)
class Cheat:
    name: str           # the student id is "m-<name>", between the honest classmates "a..." and "z..."
    kind: str
    description: str
    start: str = ""     # a cell before the first exercise
    end: str = ""       # a cell after the last
    answers: dict = field(default_factory=dict, hash=False)   # grade_id of an answer cell -> its new text
    after: dict = field(default_factory=dict, hash=False)     # grade_id -> a cell inserted right after it
    honest: frozenset = frozenset()                          # answer cells solved with the master's solution
    stops: str = ""     # when the whole notebook is stopped: what the report's detail says (instead of its output)

    @property
    def student(self) -> str:
        return f"m-{self.name}"

    def expected(self, points: dict[str, int]) -> dict[str, float]:
        """The exact score of each graded cell: full marks for what it solved honestly, 0 for the rest."""
        earned = {e for gid in self.honest for e in EARNS[gid]}
        if CLOSING[1] <= self.honest:
            earned.add(CLOSING[0])
        return {cell: float(p) if cell in earned else 0.0 for cell, p in points.items()}


def _after_tests(code: str, names=None) -> dict[str, str]:
    """The same cell after every test cell (``EXERCISES_HERE``: the exercises of the cell before)."""
    tests = {"test_numerical_gradient": ["numerical_gradient"], "test_linear_forward": ["Linear.forward"],
             "test_linear_backward": ["Linear.backward"], "test_linear_fused": ["Linear fused update"],
             "test_relu_forward": ["ReLU.forward"], "test_relu_backward": ["ReLU.backward"],
             "test_softmax_ce_forward": ["SoftmaxCrossEntropy.forward"],
             "test_softmax_ce_backward": ["SoftmaxCrossEntropy.backward"],
             "test_softmax_ce_stability": ["SoftmaxCrossEntropy stability"], "test_sequential": ["Sequential"],
             "test_train_step": ["train_step"], "test_closing_run": ["Closing run"]}
    return {gid: f"EXERCISES_HERE = {ex!r}\n" + code for gid, ex in tests.items() if names is None or set(ex) & set(names)}


CHEATS = [
    # --- framework.exercises replaced or rewired ---
    Cheat("fake-exercises-module", "replace framework.exercises",
          "sys.modules['framework.exercises'] and its submodules replaced by a module whose decorators print"
          " 'passed' and publish forged records, and whose every other name is a do-nothing",
          start=FAKE_MODULE),
    Cheat("fake-submodules", "replace framework.exercises",
          "every submodule of framework.exercises replaced in sys.modules and on the package by a copy whose"
          " decorators and _run pass",
          start=FAKE_SUBMODULES),
    Cheat("import-hook", "replace framework.exercises",
          "builtins.__import__ hooked: any `from framework.exercises import ...` gets the passing fake", start=IMPORT_HOOK),
    Cheat("meta-path-finder", "replace framework.exercises",
          "a finder first on sys.meta_path serving the fake for framework.exercises*, the real ones removed from"
          " sys.modules", start=META_PATH),
    Cheat("module-getattr", "replace framework.exercises",
          "the decorators deleted from framework.exercises and its modules; a module __getattr__ serves passing ones",
          start=MODULE_GETATTR),
    Cheat("patch-functions", "patch framework.exercises",
          "visible_check, hidden_check, hidden_probe, _run, case, quiet, the recorder's case/value/note and any"
          " emit/publish/display function of framework.exercises replaced in place", start=PATCH_FUNCTIONS),
    Cheat("patch-recorder", "patch framework.exercises",
          "the recorder's case swallows every error (NotImplementedError too) and its value records with"
          " tol=1e300, exact=False, no hints; the visible checks off", start=VISIBLE_OFF + PATCH_RECORDER),
    Cheat("munge-records", "forge the records",
          "the display publisher rewrites every records output: floats NaN, tolerances 1e300, exact False,"
          " outcomes None, ok True; the visible checks off, answers of zeros", start=VISIBLE_OFF + MUNGE_RECORDS,
          answers=ZERO_ANSWERS),
    # --- IPython ---
    Cheat("input-transformer", "IPython transformers",
          "an input transformer turns every test cell into prints of 'passed' lines and forged records",
          start=ALL + INPUT_TRANSFORMER),
    Cheat("ast-pass", "IPython transformers", "an AST transformer turns every test cell into `pass` (and 'passed' lines)",
          start=AST_PASS),
    Cheat("ast-empty-probe", "IPython transformers",
          "an AST transformer keeps every check and probe but empties their bodies (no case recorded) and makes"
          " every rec.value record 0.0 with tol 1e300", start=AST_REWRITE_PROBE),
    Cheat("custom-exc", "IPython hooks",
          "every exception of a cell swallowed by set_custom_exc (printing 'passed' lines), and post_run_cell"
          " clearing error_in_exec", start=ALL + CLEAR_ERRORS),
    Cheat("hook-forged-records", "IPython hooks",
          "pre_run_cell and post_run_cell publish forged records (with the seed read from the cell) into every"
          " test cell, and the probe's own records are dropped", start=ALL + HOOK_RECORDS),
    Cheat("fake-pass-lines", "fake output",
          "'✓ X: passed (judged)' lines before and after every test cell; stdout and stderr filtered of every"
          " line telling of a failure", start=FAKE_LINES),
    Cheat("forged-records-cells", "fake output",
          "a forged records output (and 'passed' lines) in every answer cell and in a cell after every test cell",
          after={**_after_tests(FAKE_RECORDS_AFTER),
                 **{gid: f"EXERCISES_HERE = {list(ex)!r}\n" + FAKE_RECORDS_AFTER for gid, ex in EARNS.items()}}),
    Cheat("display-id-overwrite", "fake output",
          "every records output gets a display_id; the last cell overwrites them all (update_display) with forged"
          " records; the visible checks off, answers of zeros", start=VISIBLE_OFF + DISPLAY_IDS, end=DISPLAY_UPDATE,
          answers=ZERO_ANSWERS),
    # --- the interpreter, builtins, NumPy ---
    Cheat("settrace-arguments", "trace and profile",
          "sys.settrace rewrites the arguments of the recorder's value/note (value 0.0, tol 1e300, exact False)"
          " and the probe's seed (to 0) through PyFrame_LocalsToFast; the visible checks off, answers of zeros",
          start=VISIBLE_OFF + SETTRACE, answers=ZERO_ANSWERS),
    Cheat("setprofile-rng", "trace and profile",
          "sys.setprofile grabs the probe's generator (a copy: every input it will draw) and seed",
          start=VISIBLE_OFF + SETPROFILE, answers={"linear": FRAME_ANSWERS + FRAME_LINEAR}),
    Cheat("rebind-builtins", "builtins",
          "isinstance always True and issubclass always False inside framework.exercises, getattr of a missing"
          " name gives an array, print turns failures into 'passed'; answers of zeros", start=REBIND_BUILTINS,
          answers=ZERO_ANSWERS),
    Cheat("numpy-patch", "NumPy",
          "np.allclose, array_equal, isclose, isfinite, isnan and every np.testing.assert_* made to agree",
          start=NUMPY_PATCH, answers=ZERO_ANSWERS),
    Cheat("nan-answers", "values that compare as equal",
          "every answer returns NaN (or inf) arrays of the right shape (a comparison `not (err > tol)` passes them);"
          " the visible checks off", start=VISIBLE_OFF, answers=NAN_ANSWERS),
    # --- the reference, by any indirection ---
    Cheat("getattr-import", "delegate to the reference",
          "each exercise bound to getattr(__import__('frame' + 'work'), name)",
          answers=by_indirection("getattr(__import__('frame' + 'work'), %r)")),
    Cheat("importlib-pickle", "delegate to the reference",
          "each exercise fetched by pickle.loads(b'cframework\\nName\\n.') and importlib.import_module",
          answers={gid: "import importlib, pickle\n" + "".join(
              f"{n} = pickle.loads(b'cframework\\n{n}\\n.') or importlib.import_module('framework').{n}\n" for n in names)
              for gid, names in REFERENCE_NAMES.items()}),
    Cheat("copy-class-dict", "delegate to the reference",
          "classes of its own (base Layer, __module__ '__main__') holding copies of the framework's methods,"
          " their code re-made with copied globals", start=COPY_DICT, answers=COPY_DICT_ANSWERS),
    Cheat("exec-framework-source", "delegate to the reference",
          "looks for the full framework anywhere it can read (framework.__file__, sys.path, the editable install's"
          " mapping, a walk of /, __pycache__ byte code) and imports it under another name",
          start=FIND_REFERENCE, answers=FROM_FOUND),
    Cheat("fake-framework-reference", "replace the reference",
          "sys.modules['framework'] replaced by a copy whose Linear, ReLU, numerical_gradient are the student's"
          " own (returning zeros): a test comparing with fw.X compares the student with the student",
          start=FAKE_FRAMEWORK, answers=ZERO_ANSWERS, after=FAKE_FRAMEWORK_AFTER),
    Cheat("torch-autograd", "delegate to a library",
          "Linear, ReLU and SoftmaxCrossEntropy computed by PyTorch, backward by its autograd", answers=TORCH_ANSWERS),
    Cheat("scipy-sklearn", "delegate to a library",
          "numerical_gradient by scipy.optimize's approx_derivative (3-point), ReLU by scikit-learn's"
          " ACTIVATIONS/DERIVATIVES, the loss by scipy.special.log_softmax", answers=LIBRARY_ANSWERS),
    Cheat("delegate-without-ownership", "delegate to the reference",
          "require_own_class and require_own_function made no-ops (the visible checks then run the probe), and each"
          " exercise a subclass of the framework's, relabelled __main__", start=NO_OWNERSHIP, answers=RELABELLED),
    Cheat("framework-leftovers", "delegate to the reference",
          "ReLU as the framework's MaxPool2d over the pairs (0, x) (pooling is no exercise, so the edition keeps it);"
          " the ownership checks off", start=NO_OWNERSHIP, answers={"relu": POOL_RELU}),
    Cheat("closing-run-sklearn", "delegate to a library",
          "layers that compute nothing, and a Sequential whose first forward puts in the weights of a 64-32-10 network"
          " trained by scikit-learn's MLPClassifier (in the last answer cell); the visible checks off",
          start=VISIBLE_OFF, answers={"train_step": SKLEARN_CLOSING}),
    Cheat("judge-crash-shape", "forge the records",
          "the probe's records dropped; forged ones whose value has the shape [65536] * 4 with no data (the product"
          " of the sizes wraps to 0 in int64)", start=ALL + CRASH_RECORDS + HOOK_RECORDS),
    # --- the test's own source and frames ---
    Cheat("answers-from-source", "read the test",
          "answers with the stored arrays of the running test cell, read from In/_ih and inspect (and reads the seed)",
          start=VISIBLE_OFF + SOURCE_ANSWERS, answers={"linear": SOURCE_LINEAR, "numerical_gradient": SOURCE_NUMGRAD}),
    Cheat("answers-from-frames", "read the test",
          "answers with arrays named expected/ref/... of the callers' frames, or a reference object's own result"
          " found there; prints the probe's generator and seed", start=VISIBLE_OFF + FRAME_ANSWERS, answers={"linear": FRAME_LINEAR}),
    # --- the clock ---
    Cheat("time-out", "exhaust the time",
          "forged records and 'passed' lines in every test cell, and a Linear.forward that takes 30 s swallowing"
          " the grader's interrupts", start=ALL + HOOK_RECORDS, answers={"linear": TIME_OUT},
          stops="ignored the interrupt"),
    Cheat("time-out-plain", "exhaust the time",
          "forged records and 'passed' lines in every test cell, and a Linear.forward that sleeps past the cell's"
          " time limit (the interrupt ends it: the probe never records)", start=ALL + HOOK_RECORDS,
          answers={"linear": TIME_OUT.replace("            except BaseException:\n                pass\n",
                                              "            except Exception:\n                pass\n")}),
    # --- some exercises honest, the others cheated ---
    Cheat("honest-some-forged-records", "honest and cheating",
          "numerical_gradient and ReLU solved; forged records (real ones dropped) for Linear and the loss",
          start=targets([*LINEAR_TESTS, *SCE_TESTS]) + HOOK_RECORDS, honest=frozenset({"numerical_gradient", "relu"})),
    Cheat("honest-some-transformer", "honest and cheating",
          "Linear solved; an input transformer turns the other test cells into 'passed' lines and forged records",
          start=targets(["numerical_gradient", "ReLU.forward", "ReLU.backward", *SCE_TESTS, "Sequential", "train_step",
                         "Closing run"]) + INPUT_TRANSFORMER, honest=frozenset({"linear"})),
    Cheat("honest-some-torch", "honest and cheating",
          "numerical_gradient and the loss solved; Linear and ReLU by PyTorch",
          answers={k: TORCH_ANSWERS[k] for k in ("linear", "relu")}, honest=frozenset({"numerical_gradient", "softmax_ce"})),
    Cheat("honest-some-custom-exc", "honest and cheating",
          "Linear and ReLU solved; errors of the loss's test cells swallowed by set_custom_exc",
          start=targets(SCE_TESTS) + CLEAR_ERRORS, honest=frozenset({"linear", "relu"})),
    Cheat("honest-some-fake-reference", "honest and cheating",
          "ReLU and the loss solved; Linear and numerical_gradient return zeros, and framework's Linear and"
          " numerical_gradient are made the student's own",
          start=FAKE_FRAMEWORK, answers={k: ZERO_ANSWERS[k] for k in ("numerical_gradient", "linear")},
          after={k: FAKE_FRAMEWORK_AFTER[k] for k in ("numerical_gradient", "linear")},
          honest=frozenset({"relu", "softmax_ce"})),
]

BY_STUDENT = {c.student: c for c in CHEATS}

# a cheat's honest cells are answer cells it does not also replace
assert not [c for c in CHEATS if set(c.answers) & c.honest], "a cheat both solves and replaces an answer cell"
assert len(BY_STUDENT) == len(CHEATS) >= 24
