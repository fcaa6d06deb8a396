"""Batch grading speed: ms per submission, next to a naive baseline and a fresh sandbox per learner.

    python benchmarks/batch_speed.py --count 1000 [--jobs N] [--python PYTHON]

Generates COUNT submissions (correct solutions in several styles, every catalog mistake and pairs of
them rendered from the exercise's model, wrong shapes, a mutating one), grades them with
`python -m graders batch` (sandbox on: a fresh world per learner, >= 110 generated cases each,
shrinking for failures; the exercise's on-disk cache filled first, as after any earlier batch or `graders
check` of this version: the extra seconds of a first batch are printed), then measures on a sample, with the
same interpreter:

- a fresh sandbox per learner: a new bubblewrap sandbox (and Python, and numpy) for every submission,
  in one process (what the warm worker saves);
- the naive approach: one fresh `python -m graders grade` process per submission.

PYTHON (default: this interpreter) is the one that grades; give a venv's python to measure an install
elsewhere (see benchmarks/python_location.py). The first lines say what machine and user measured.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from graders.engine.variants import variants_of_size  # noqa: E402
from graders.exercises import get  # noqa: E402
from graders.options import jobs_from  # noqa: E402

MODEL = (REPO / "graders" / "exercises" / "residual_unit" / "model.py").read_text()
STRUCTURAL = {
    "wrong_shape": "import numpy as np\ndef residual_block(x, w1, w2):\n    x = x.reshape(-1, 1)\n    return np.maximum(0, w2 @ np.maximum(0, w1 @ x) + x)\n",
    "mutates": "import numpy as np\ndef residual_block(x, w1, w2):\n    x += 0\n    np.maximum(x, x, out=x)\n    return np.maximum(0, w2 @ np.maximum(0, w1 @ x) + x)\n",
    "as_list": "import numpy as np\ndef residual_block(x, w1, w2):\n    return list(np.maximum(0, w2 @ np.maximum(0, w1 @ x) + x))\n",
}
# Grades each file of a directory with a brand-new sandbox, in one process: prints seconds per submission.
FRESH = """
import sys, time
from pathlib import Path
from graders.engine.grading import grade_source
from graders.exercises import get
from graders.sandbox.launcher import Sandbox
exercise = get("residual_unit")
files = sorted(Path(sys.argv[1]).iterdir())[: int(sys.argv[2])]
with Sandbox() as warm:  # the cases and the catalog variants are computed once, before timing
    grade_source(exercise, files[0].read_text(), sandbox=warm)
started = time.perf_counter()
for path in files:
    with Sandbox(isolation=sys.argv[3]) as box:
        grade_source(exercise, path.read_text(), sandbox=box)
print((time.perf_counter() - started) / len(files))
"""

# What a batch computes once per exercise version (and caches on disk): prints its seconds.
PREPARE = """
import time
from graders.exercises import get
exercise = get("residual_unit")
started = time.perf_counter()
exercise.prepare()
print(time.perf_counter() - started)
"""


def population() -> list[str]:
    exercise = get("residual_unit")
    correct = [p.read_text() for p in sorted((REPO / "tests" / "submissions" / "correct").glob("*.py"))]
    mistakes = [MODEL + f"\ndef residual_block(x, w1, w2):\n    return model(x, w1, w2, **{v.overrides!r})\n"
                for v in variants_of_size(exercise, 1) + variants_of_size(exercise, 2)[::4]]
    # about half correct, half wrong: a realistic class
    return [s for pair in itertools.zip_longest(correct * 3, mistakes + list(STRUCTURAL.values())) for s in pair if s]


def machine(python: str) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    user = f"uid {os.getuid()}" + (" (root)" if os.getuid() == 0 else "")
    prefix = subprocess.run([python, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True).stdout.strip()
    return (f"machine: {cpu}, {os.cpu_count()} cores, Linux {platform.release()}, {user}\n"
            f"python : {python} (prefix {prefix})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--jobs", type=int, default=None, help="batch --jobs (default: batch's own default)")
    parser.add_argument("--baseline-sample", type=int, default=12)
    parser.add_argument("--fresh-sample", type=int, default=30)
    parser.add_argument("--isolation", default="auto")
    parser.add_argument("--python", default=sys.executable, help="the interpreter that grades (e.g. a venv's)")
    args = parser.parse_args()
    sources = population()
    jobs = jobs_from(args)
    work = Path(tempfile.mkdtemp(prefix="gradekit-bench-"))
    os.chmod(work, 0o755)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        subs = work / "class"
        subs.mkdir()
        for i in range(args.count):
            (subs / f"learner{i:05d}.py").write_text(sources[i % len(sources)])
        out = work / "out"
        subprocess.run([args.python, "-m", "graders", "list"], cwd=REPO, env=env, check=True, capture_output=True)
        cold = float(subprocess.run([args.python, "-c", PREPARE], cwd=REPO, env={**env, "GRADEKIT_NO_CACHE": "1"},
                                    check=True, capture_output=True, text=True).stdout)
        subprocess.run([args.python, "-c", PREPARE], cwd=REPO, env=env, check=True, capture_output=True)
        started = time.perf_counter()
        done = subprocess.run([args.python, "-m", "graders", "batch", str(subs), "--exercise", "residual_unit",
                               "--out", str(out), "--jobs", str(jobs), "--isolation", args.isolation],
                              cwd=REPO, env=env, capture_output=True, text=True)
        batch = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"batch failed: {done.stderr.strip()}")
        sample = sorted(subs.iterdir())[: args.baseline_sample]
        started = time.perf_counter()
        for path in sample:
            subprocess.run([args.python, "-m", "graders", "grade", str(path), "--json", "--isolation",
                            args.isolation], cwd=REPO, env=env, check=True, capture_output=True)
        naive = (time.perf_counter() - started) / len(sample)
        fresh = float(subprocess.run([args.python, "-c", FRESH, str(subs), str(args.fresh_sample), args.isolation],
                                     cwd=REPO, env=env, check=True, capture_output=True, text=True).stdout)
        grades = (out / "grades.csv").read_text().splitlines()[1:]
        full = sum(1 for row in grades if row.split(",")[1] == "20")
        per = batch / args.count
        print(machine(args.python))
        print(f"submissions: {args.count} ({full} at full marks), jobs: {jobs}{'' if args.jobs else ' (the default)'}, isolation: {args.isolation}")
        print(f"gradekit batch          : {batch:7.2f} s total, {per * 1000:7.1f} ms per submission (amortized, "
              "including start-up and the class reports)")
        print(f"first batch of a version: {cold:7.2f} s more, once (drawing its cases and running its catalog "
              "variants, then kept in the on-disk cache; the figure above is with the cache filled)")
        print(f"fresh sandbox / learner : {fresh * 1000:7.1f} ms per submission (one process, "
              f"{args.fresh_sample} sampled)")
        print(f"naive baseline          : {naive * 1000:7.1f} ms per submission (fresh process each, "
              f"{len(sample)} sampled)")
        print(f"speed-up                : {fresh / per:7.1f}x over a fresh sandbox, {naive / per:.1f}x over naive")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
