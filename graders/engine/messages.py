"""Every learner-facing sentence the engine writes. Tests import these constants."""

# Structural diagnoses: code -> message template (str.format fields documented per entry).
STRUCTURAL = {
    "syntax_error": "Your file does not parse: {detail}",
    "import_error": "Your file failed to import a module: {detail}",
    "missing_function": "Your file does not define {function}(){detail}",
    "wrong_signature": "{function} must accept ({parameters}); yours is {function}{detail}",
    "raises": "{function} raised an exception: {detail}",
    "timeout": "Your code did not finish within {limit:g} s: {detail}",
    "memory_limit": "Your code used more memory than allowed ({limit}): {detail}",
    "crashed": "The process running your code died: {detail}",
    "not_an_array": "{function} returned {detail}, expected numpy.ndarray",
    "wrong_shape": "{function} returned shape {detail}",
    "wrong_dtype": "{function} returned an array of dtype {detail}, expected a float dtype",
    "non_finite": "{function} returned NaN or infinity: {detail}",
    "mutates_input": "{function} modified its input {detail} in place; compute into new arrays instead",
    "unknown": "Your results differ from the expected ones in a way none of the known mistakes explains. {detail}",
}

SHAPE_DETAIL = "{actual}, expected {expected}"
TYPE_DETAIL = "{actual}"
WRONG_SHAPE_SAME_VALUES = " (the numbers themselves are right: return them with shape {expected})"
UNKNOWN_DETAIL = "Largest error {error:.3g} at index {where} of {call}."
MISSING_FUNCTION_DEFINED = "; it defines: {names}"
RAISED_DETAIL = "{error} (on {count} of {total} inputs, first: {call})"
TIMEOUT_DETAIL = "stopped after {elapsed:.1f} s, {phase}"
CRASH_EXIT = "it exited with status {code} {phase}"
CRASH_SIGNAL = "it was killed by signal {name} {phase}"
PHASE_LOADING = "while loading your file"
PHASE_CALL = "during call #{index}: {call}"
PHASE_BETWEEN = "after {count} calls"

NOT_LOADED = "Not graded: {function} could not be loaded (see the first check)."
MISMATCH_RATIONALE = "{call} returned {actual}, expected {expected}"
RAISED_RATIONALE = "{call} raised {error}"
NOT_RUN_RATIONALE = "{call} was not run: {reason}"
COUNTEREXAMPLE_INTRO = "Smallest failing input found: {call}: expected {expected}, got {actual}"
WORKER_LOST = "the grading worker stopped unexpectedly"
MUTATION_RATIONALE = "{call} modified {names} in place"
CHECK_CRASHED = "This check could not run ({error}). This is a problem with the grader, not with your code."
NEVER_RETURNED = "{function} never returned a value: {error}"
TUPLE_EXPECTED = "a tuple of {count} numpy arrays ({names})"
WRONG_ERROR_DETAIL = ", expected it to raise {expected}"
# The same, for one element of a returned tuple (exercises whose function returns several arrays).
STRUCTURAL_OF_PART = {
    "not_an_array": "{function} returned {detail}, expected {expected}",
    "not_an_array_part": "{function} returned {part} as {detail}, expected numpy.ndarray",
    "wrong_shape": "{function} returned {part} with shape {detail}",
    "wrong_dtype": "{function} returned {part} with dtype {detail}, expected a float dtype",
}
