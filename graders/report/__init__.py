"""Reporters: the only place where grading results become text, JSON, CSV, HTML or platform files."""
