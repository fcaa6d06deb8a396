"""Batch grading speed: ms per submission, next to a naive baseline measured in the same run.

    python benchmarks/batch_speed.py --count 400 --jobs 2

Generates COUNT submissions (correct solutions in several styles, every catalog mistake and pairs of
them rendered from the exercise's model, wrong shapes, a mutating one), grades them with
`python -m graders batch` (sandbox on, >= 110 generated cases each, shrinking for failures), then
grades a sample with the naive approach (one fresh `python -m graders grade` process per submission)
and prints both.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from graders.engine.diagnose import variants_of_size  # noqa: E402
from graders.exercises import get  # noqa: E402

MODEL = (REPO / "graders" / "exercises" / "residual_unit" / "model.py").read_text()
STRUCTURAL = {
    "wrong_shape": "import numpy as np\ndef residual_block(x, w1, w2):\n    x = x.reshape(-1, 1)\n    return np.maximum(0, w2 @ np.maximum(0, w1 @ x) + x)\n",
    "mutates": "import numpy as np\ndef residual_block(x, w1, w2):\n    x += 0\n    np.maximum(x, x, out=x)\n    return np.maximum(0, w2 @ np.maximum(0, w1 @ x) + x)\n",
    "as_list": "import numpy as np\ndef residual_block(x, w1, w2):\n    return list(np.maximum(0, w2 @ np.maximum(0, w1 @ x) + x))\n",
}


def population() -> list[str]:
    exercise = get("residual_unit")
    correct = [p.read_text() for p in sorted((REPO / "tests" / "submissions" / "correct").glob("*.py"))]
    mistakes = [MODEL + f"\ndef residual_block(x, w1, w2):\n    return model(x, w1, w2, **{v.overrides!r})\n"
                for v in variants_of_size(exercise, 1) + variants_of_size(exercise, 2)[::4]]
    # about half correct, half wrong: a realistic class
    return [s for pair in itertools.zip_longest(correct * 3, mistakes + list(STRUCTURAL.values())) for s in pair if s]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--baseline-sample", type=int, default=12)
    parser.add_argument("--isolation", default="auto")
    args = parser.parse_args()
    sources = population()
    work = Path(tempfile.mkdtemp(prefix="gradekit-bench-"))
    try:
        subs = work / "class"
        subs.mkdir()
        for i in range(args.count):
            (subs / f"learner{i:05d}.py").write_text(sources[i % len(sources)])
        out = work / "out"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "graders", "batch", str(subs), "--exercise", "residual_unit",
                        "--out", str(out), "--jobs", str(args.jobs), "--isolation", args.isolation],
                       cwd=REPO, check=True, capture_output=True)
        batch = time.perf_counter() - started
        sample = sorted(subs.iterdir())[: args.baseline_sample]
        started = time.perf_counter()
        for path in sample:
            subprocess.run([sys.executable, "-m", "graders", "grade", str(path), "--json", "--isolation",
                            args.isolation], cwd=REPO, check=True, capture_output=True)
        naive = (time.perf_counter() - started) / len(sample)
        grades = (out / "grades.csv").read_text().splitlines()[1:]
        full = sum(1 for row in grades if row.split(",")[1] == "20")
        print(f"submissions: {args.count} ({full} at full marks), jobs: {args.jobs}, cores: {__import__('os').cpu_count()}")
        print(f"gradekit batch : {batch:7.2f} s total, {batch / args.count * 1000:7.1f} ms per submission (amortized, "
              "including start-up and the class reports)")
        print(f"naive baseline : {naive * 1000:7.1f} ms per submission (fresh process each, {len(sample)} sampled)")
        print(f"speed-up       : {naive / (batch / args.count):7.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
