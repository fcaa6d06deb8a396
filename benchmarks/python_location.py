"""Does the per-submission cost depend on where Python is installed, or on who grades?

    sudo python benchmarks/python_location.py --count 400 [--jobs N]

Runs benchmarks/batch_speed.py with several interpreters, as CI, tox and newcomers install them:

- this interpreter, as it is;
- a venv under /tmp and one under /var/tmp (numpy and hypothesis installed into the venv);
- as root only: a normal user (nobody) with a venv under /tmp built from the system Python
  (/usr/bin/python3), grading a copy of the kit it can read.

Needs the package registry (pip installs numpy and hypothesis into each venv). Prints one line per setup.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEPS = ("numpy>=1.24", "hypothesis>=6.80")


def venv(python: str, where: Path, *, user: list[str]) -> str:
    subprocess.run([*user, python, "-m", "venv", str(where)], check=True, capture_output=True)
    subprocess.run([*user, str(where / "bin" / "python"), "-m", "pip", "install", "-q", *DEPS], check=True,
                   capture_output=True, env={**os.environ, "HOME": str(where.parent)})
    return str(where / "bin" / "python")


def measure(label: str, python: str, args, *, user: list[str], repo: Path) -> None:
    command = [*user, python, str(repo / "benchmarks" / "batch_speed.py"), "--count", str(args.count),
               *(["--jobs", str(args.jobs)] if args.jobs else []), "--python", python, "--fresh-sample", "10",
               "--baseline-sample", "6"]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "HOME": str(repo.parent)})
    lines = (done.stdout or done.stderr).strip().splitlines()
    batch = next((line for line in lines if line.startswith("gradekit batch")), lines[-1] if lines else "?")
    who = next((line for line in lines if line.startswith("machine")), "")
    print(f"{label:34} {batch.split(':', 1)[-1].strip()}")
    if who and args.verbose:
        print("    " + who)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--jobs", type=int, default=None, help="batch --jobs (default: batch's own default)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    keep: list[Path] = []
    try:
        measure("this interpreter", sys.executable, args, user=[], repo=REPO)
        for base in ("/tmp", "/var/tmp"):
            where = Path(tempfile.mkdtemp(prefix="gradekit-venv-", dir=base))
            keep.append(where)
            python = venv(sys.executable, where / "venv", user=[])
            measure(f"venv under {base}", python, args, user=[], repo=REPO)
        if os.geteuid() == 0 and Path("/usr/bin/python3").exists():
            home = Path(tempfile.mkdtemp(prefix="gradekit-user-", dir="/tmp"))
            keep.append(home)
            shutil.copytree(REPO, home / "kit", ignore=shutil.ignore_patterns(".git", "__pycache__"))
            subprocess.run(["chown", "-R", "65534:65534", str(home)], check=True)
            os.chmod(home, 0o755)
            user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
            python = venv("/usr/bin/python3", home / "venv", user=user)
            measure("normal user, venv under /tmp", python, args, user=user, repo=home / "kit")
    finally:
        for path in keep:
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
