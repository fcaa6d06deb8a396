"""Every learner-facing sentence the engine writes. Tests import these constants."""

# Structural diagnoses: code -> message template (str.format fields documented per entry).
STRUCTURAL = {
    "syntax_error": "Your file does not parse: {detail}",
    "import_error": "Your file failed to import a module: {detail}",
    "missing_function": "Your file does not define {function}(){detail}",
    "wrong_signature": "{function} must accept ({parameters}); yours is {function}{detail}",
    "raises": "{function} raised an exception: {detail}",
    "exits": "Your file exited while loading: {detail}",
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

LOAD_EXITED = ("Your file exited while loading{line}: {error}. Remove the exit, or put code that should not run when "
               "the file is imported under `if __name__ == \"__main__\":`.")
LOAD_RAISED = "Your file raised {error} while loading{line}, before any of its functions could be called."
LOAD_IMPORT_ERROR = "Your file failed to import a module while loading{line}: {error}"
SHAPE_DETAIL = "{actual}, expected {expected}"
TYPE_DETAIL = "{actual}"
WRONG_SHAPE_SAME_VALUES = " (the numbers themselves are right: return them with shape {expected})"
UNKNOWN_DETAIL = "Largest error {error:.3g} at index {where} of {call}."
MISSING_FUNCTION_DEFINED = "; it defines: {names}"
RAISED_DETAIL = "{error} (on {count} of {total} inputs, first: {call})"
TIMEOUT_DETAIL = "stopped {phase}"  # no measured time: a regrade must read the same
CRASH_EXIT = "it exited with status {code} {phase}"
CRASH_SIGNAL = "it was killed by signal {name} {phase}"
PHASE_LOADING = "while loading your file"
PHASE_CALL = "during call #{index}: {call}"
PHASE_CALL_SHORT = "during call #{index}"
PHASE_BETWEEN = "after {count} calls"

RUBRIC_NOT_NAMED = ("Scored by the checks: rubric scoring applies to named mistakes, and this result has failing "
                    "checks but no named mistake.")
RUBRIC_OUTSIDE = "Scored by the checks: no rubric item covers {codes} (rubric items are for catalogued mistakes)."
NOT_LOADED = "Not graded: {function} could not be loaded (see the first check)."
MISMATCH_RATIONALE = "{call} returned {actual}, expected {expected}"
RAISED_RATIONALE = "{call} raised {error}"
NOT_RUN_RATIONALE = "{call} gave no result: your code was stopped {reason} (see what went wrong, above)"
COUNTEREXAMPLE_INTRO = "Smallest failing input found: {call}: expected {expected}, got {actual}"
WORKER_LOST = "the grading worker stopped unexpectedly"
PROTOCOL_VIOLATION = "it wrote to the grader's private result channel ({detail}), so the rest was not graded"
CRASH_KILLED = "it stopped answering and was stopped"
MEMORY_KILLED = "the system stopped it when its processes together held too much memory, {phase}"
MUTATION_RATIONALE = "{call} modified {names} in place"
SKIPPED_BECAUSE = "Not checked: it needs \"{label}\", which did not pass."
CHECK_CRASHED = "This check could not run ({error}). This is a problem with the grader, not with your code."
NO_AGREEMENT = ("Not earned yet: {function} matches the reference on none of the generated inputs; the points for "
                "loading, for the result's type and shape and for unchanged inputs come with a first right result.")
CONTAINER_TYPE = ("{function} returns {of}a {type} holding the right numbers: return a numpy array, e.g. "
                  "`np.asarray(...)` (only this check deducts for it).")
CONTAINER_DTYPE = ("{function} returns {of}an array of {dtype} holding the right numbers: return floats, e.g. "
                   "`.astype(float)` (only this check deducts for it).")
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

# Quizzes (graders/engine/quiz.py): the answers are read from the file as literals, never run.
QUIZ_STRUCTURAL = {
    "not_answered": "Not answered yet: {names}. Replace None with your answer (the README shows the formats).",
    "malformed_answer": "{name} cannot be read as an answer: {detail}",
    "too_large": "Your file is too large to grade ({size} bytes; the limit is {limit} bytes): submit the exercise file itself.",
    "wrong_answer": "{name}: {answer} is not right, and it is not one of the mistakes this quiz knows. {hint}",
}
QUIZ_MISTAKE = "{name}: {hint}"  # a catalogued wrong answer: the diagnosis message
QUIZ_MISTAKE_DETAIL = "you answered {answer}: {why}"
QUIZ_SANDBOX = "not needed (answers are read, not run)"
QUIZ_SYNTAX_DETAIL = "line {line}: {message}"
QUIZ_UNPARSABLE = "it cannot be read ({error}: it is nested too deeply or is not Python text)"
QUIZ_NOT_ANSWERED = "{name} is not answered yet."
QUIZ_REPLACE_NONE = "Replace None in `{name} = None` with your answer: {format}."
QUIZ_DID_YOU_MEAN = " Your file assigns {found}: did you mean {name}?"
QUIZ_CHOSE = "You chose ({letter}): {text}\n{why}"
QUIZ_GAVE = "You answered {answer}.\n{why}"
QUIZ_NOT_LITERAL = ("line {line} assigns it {kind}. The grader reads your file without running it, so write the "
                    "answer itself: {format}")
QUIZ_NESTED = ("it is assigned only at line {line}, inside an indented block or an expression; the grader reads "
               "only plain assignments at the top level of the file, so write `{name} = ...` without indentation")
QUIZ_NOT_PLAIN = "line {line} does not assign it plainly (unpacking or `+=`); write `{name} = ...` on a line of its own"
QUIZ_WRITE_AS = "Write `{name} = ...` with {format}."
QUIZ_UNEXPLAINED = "That is not the shape this code produces; recompute it one axis at a time."
QUIZ_NOT_A_LETTER = "it is {answer}, expected {format}"
QUIZ_NOT_AN_OPTION = "{answer} is not one of the options: expected {format}"
QUIZ_NOT_A_SHAPE = "it is {answer}, expected {format}"
QUIZ_BAD_SIZE = ("entry {index} is {answer}; sizes are positive ints, and an unknown batch size is None (not -1): "
                 "expected {format}")
QUIZ_LETTER_FORMAT = "one letter in quotes, one of {letters}"
QUIZ_SHAPE_FORMAT = "a tuple of {rank} ints ({axes}){batch}, e.g. {example}"
QUIZ_SHAPE_BATCH = ", None allowed for the batch"
QUIZ_WRONG_RANK = "Your shape has {got} entries; the tensor has {rank} axes ({axes})."
