"""Pieces several exercises share, in one place: readable number strategies and catalog entries (exposed
to authors as graders.authoring.strategies and graders.authoring.mistakes)."""
