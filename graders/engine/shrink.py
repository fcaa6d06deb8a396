"""Shrinking: from the simplest failing generated case, simpler inputs (fewer elements, zeros, integers)
are tried against the live submission until none fails; the last failing one is the learner's
counterexample."""

from __future__ import annotations

import numpy as np

from graders.engine.cases import complexity, shrink_candidates
from graders.engine.compare import coerce, expected_of, judge
from graders.engine.context import Trial, show_value
from graders.engine.function import FunctionExercise as Exercise
from graders.engine.results import Counterexample, Diagnosis
from graders.engine.values import Outcome, decode_outcome

MAX_SHRINK_ROUNDS = 40
SHRINK_CHUNK = 12


def shrink(exercise: Exercise, session, trial: Trial, budget: int) -> tuple[tuple[np.ndarray, ...], Outcome]:
    """Greedy, batched shrinking against the live session: each round sends every simpler candidate
    in one round trip and keeps the first that still fails."""
    current, current_outcome = trial.case.args, trial.outcome
    for _ in range(MAX_SHRINK_ROUNDS):
        limit = complexity(current)
        candidates = [c for c in shrink_candidates(exercise, current) if complexity(c) < limit
                      and (exercise.admissible is None or exercise.admissible(*c))]
        found = None
        # small chunks: the first simpler failing candidate is usually among the first few
        for chunk_start in range(0, len(candidates), SHRINK_CHUNK):
            if session.ended is not None:
                break
            chunk = candidates[chunk_start:chunk_start + SHRINK_CHUNK]
            for args, r in zip(chunk, session.call([list(c) for c in chunk], budget)):
                outcome = decode_outcome(r, exercise.parameters)
                try:
                    expected = expected_of(exercise, args)
                except Exception:  # noqa: BLE001 - an input the reference does not accept is no counterexample
                    continue
                if not judge(exercise, args, expected, outcome).ok:
                    found = (args, outcome)
                    break
            if found is not None:
                break
        if found is None:
            break
        current, current_outcome = found
    return current, current_outcome


def make_counterexample(exercise: Exercise, shrunk, diagnoses: list[Diagnosis]) -> Counterexample | None:
    if shrunk is None:
        return None
    args, outcome = shrunk
    expected = expected_of(exercise, args)
    if outcome.kind == "raised":
        actual = f"raised {outcome.error.short()}"
    elif outcome.kind == "returned":
        value = outcome.value
        fits = coerce(exercise, value, expected) is not None and (
            exercise.output_parts or (value.kind == "ndarray" and value.shape == expected.shapes[0]))
        actual = show_value(exercise, value) if fits else f"{value.describe()} {value.show()}"
    else:
        actual = "no result"
    catalogued = [d for d in diagnoses if d.code in exercise.codes]
    explanation = "; ".join(d.detail or d.message for d in catalogued)
    return Counterexample(call=exercise.call_text(args),
                          args={p: (np.asarray(a).tolist() if isinstance(a, np.ndarray) else a)
                                for p, a in zip(exercise.parameters, args)},
                          expected=expected.show(exercise.part_names), actual=actual, explanation=explanation)


# ------------------------------------------------------------------------------------------ diagnosis
