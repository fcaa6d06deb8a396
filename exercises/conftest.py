"""pytest configuration for the exercises' self-check tests: makes the shared helper (selfcheck.py, next to
this file) importable from every exercise folder. You never need to edit this file."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
