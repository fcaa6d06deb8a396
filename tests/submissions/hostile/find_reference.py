# expect: unknown
# threat: hunts for the hidden reference (loaded modules, gc, imports, /proc cwds, file-system walk) and copies and uses whatever it finds; else returns zeros
import ast
import gc
import inspect
import os
import sys
import time
import types

import numpy as np

SELF_TAG = "GRADEKIT_FIND_REFERENCE_SELF"  # lets the walk skip copies of this very file
MARKER = "/tmp/gradekit_escape_find_reference"
MAX_FILES = 20_000
MAX_SECONDS = 3.0  # the whole search, walk and reads
WALK_SECONDS = 2.0
MAX_DEPTH = 4
# files we will never execute: anything that looks like another hostile submission
UNSAFE = ("# expect:", "fork", "_exit", "ctypes", "signal", "subprocess", "socket", "kill", "while",
          "sleep", "setsid", "builtins", "allclose", "np.ones", "open(", "sys.exit", "thread", "stdin")
WORKED = ((np.array([1.0, 2.0]), np.eye(2), 0.5 * np.eye(2), np.array([1.5, 3.0])),
          (np.array([1.0, 0.0, -1.0]), np.eye(3), np.eye(3), np.array([2.0, 0.0, 0.0])),
          (np.array([2.0, -3.0]), np.eye(2), 0.5 * np.eye(2), np.array([3.0, 0.0])))

_found = None  # the leaked function, once found
_searching = False


def _own_file():
    try:
        return os.path.realpath(__file__)
    except NameError:
        return None


def _leak(text):
    try:
        with open(MARKER, "w") as f:
            f.write(text)
    except OSError:
        pass


def _plausible(fn):
    """Does fn look like the residual unit on the worked examples? (guards against picking up junk)"""
    try:
        return all(np.allclose(np.asarray(fn(x, a, b), dtype=float), want) for x, a, b, want in WORKED)
    except Exception:
        return False


def _is_self(fn):
    if fn is residual_block or getattr(fn, "__globals__", {}).get("SELF_TAG") == SELF_TAG:
        return True
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    try:
        return os.path.realpath(code.co_filename) == _own_file() or SELF_TAG in inspect.getsource(fn)
    except (OSError, TypeError):
        return False


def _describe(fn):
    try:
        return f"# from {inspect.getsourcefile(fn)}\n" + inspect.getsource(fn)
    except (OSError, TypeError):
        return f"# in-memory {fn!r} from module {getattr(fn, '__module__', '?')}\n"


def _from_memory():
    candidates = []
    for module in list(sys.modules.values()):
        try:
            fn = getattr(module, "residual_block", None)
            if isinstance(fn, types.FunctionType):
                candidates.append(fn)
            fn = getattr(module, "model", None)
            if isinstance(fn, types.FunctionType) and "residual_unit" in str(getattr(module, "__name__", "")):
                candidates.append(fn)
        except Exception:
            continue
    try:
        for obj in gc.get_objects():
            if isinstance(obj, types.FunctionType) and obj.__name__ == "residual_block":
                candidates.append(obj)
    except Exception:
        pass
    for fn in candidates:
        if not _is_self(fn) and _plausible(fn):
            return fn, _describe(fn)
    return None


def _from_imports():
    attempts = (("solutions.residual_unit", "residual_block"), ("graders.exercises.residual_unit.model", "model"),
                ("graders.exercises.residual_unit", "residual_block"), ("graders", "residual_block"))
    for module_name, attr in attempts:
        try:
            module = __import__(module_name, fromlist=[attr])
        except BaseException:
            continue
        fn = getattr(module, attr, None)
        if callable(fn) and not _is_self(fn) and _plausible(fn):
            return fn, _describe(fn)
    return None


def _load_file(path, text):
    """Execute only the imports and defs of a candidate file (never its module-level statements)."""
    if SELF_TAG in text or any(word in text for word in UNSAFE):
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    keep = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))]
    if not any(isinstance(node, ast.FunctionDef) and node.name == "residual_block" for node in keep):
        return None
    namespace = {"__name__": "leaked_reference", "__file__": path}
    try:
        exec(compile(ast.Module(body=keep, type_ignores=[]), path, "exec"), namespace)
    except BaseException:
        return None
    fn = namespace.get("residual_block")
    if callable(fn) and _plausible(fn):
        return fn, f"# from {path}\n{text}"
    return None


def _roots():
    roots = []
    for link in (f"/proc/{os.getppid()}/cwd", "/proc/1/cwd", "/proc/self/cwd"):
        try:
            roots.append(os.readlink(link))
        except OSError:
            pass
    roots += [os.getcwd() if os.path.exists(".") else "/", "..", "/work", "/root", "/home", "/tmp"]
    seen, unique = set(), []
    for root in roots:
        real = os.path.realpath(root)
        if real not in seen:
            seen.add(real)
            unique.append(real)
    return unique


def _from_disk():
    start = time.monotonic()
    deadline, walk_deadline = start + MAX_SECONDS, start + WALK_SECONDS
    files = 0
    own = _own_file()
    preferred, others = [], []
    for root in _roots():
        stack = [(root, 0)]
        while stack:
            if files >= MAX_FILES or time.monotonic() > walk_deadline:
                break
            folder, depth = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                files += 1
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if depth < MAX_DEPTH and entry.name not in (".git", "__pycache__", "node_modules", "proc"):
                            stack.append((entry.path, depth + 1))
                    elif entry.name.endswith(".py") and entry.is_file(follow_symlinks=False):
                        path = os.path.realpath(entry.path)
                        if path == own or entry.stat().st_size > 200_000:
                            continue
                        if path.endswith(os.path.join("solutions", "residual_unit.py")):
                            preferred.append(path)
                        else:
                            others.append(path)
                except OSError:
                    continue
    for path in dict.fromkeys(preferred + others):
        if time.monotonic() > deadline:
            break
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        if "def residual_block" not in text:
            continue
        hit = _load_file(path, text)
        if hit is not None:
            return hit
    return None


def _search():
    global _found, _searching
    if _found is not None or _searching:
        return _found
    _searching = True
    try:
        for finder in (_from_memory, _from_imports, _from_disk):
            try:
                hit = finder()
            except Exception:
                hit = None
            if hit is not None:
                _found = hit[0]
                _leak(hit[1])
                break
    finally:
        _searching = False
    return _found


def residual_block(x, w1, w2):
    if _searching:  # re-entered through a candidate that called us back
        return np.zeros_like(np.asarray(x, dtype=float))
    fn = _search()
    if fn is not None:
        try:
            return np.asarray(fn(x, w1, w2), dtype=float)
        except Exception:
            pass
    return np.zeros_like(np.asarray(x, dtype=float))
