"""The learner -> grader result protocol in isolation: what the harness writes, the grader reads back
exactly; anything malformed is an unreadable value; frames parse the same however the bytes arrive."""

from __future__ import annotations

import json
import os
import random
import socket
import struct

import numpy as np
import pytest

from graders.engine.values import UNREADABLE, decode_outcome, decode_value
from graders.sandbox import worker
from graders.sandbox.launcher import Limits, _LearnerChannel

VALUES = {
    "float64": np.array([[1.5, -0.0], [np.nan, np.inf]]),
    "float32": np.arange(6, dtype=np.float32).reshape(3, 2) / 3,
    "int64": np.array([1, -2, 3]),
    "bool": np.array([True, False]),
    "uint8": np.array([0, 255], dtype=np.uint8),
    "zero-d": np.array(2.5),
    "empty": np.zeros((0, 3)),
    "transposed": np.arange(6.0).reshape(2, 3).T,
    "strided": np.arange(10.0)[::3],
    "scalar": np.float64(-np.inf),
    "list": [np.ones(2), 3, None, "text \"quoted\" \ud800"],
    "tuple": (1.0, (2, [float("nan")])),
    "none": None,
    "other": {"a": 1},
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_the_fallback_encoder_writes_what_the_c_encoder_writes(name):
    described = worker.run_call(lambda *args: VALUES[name], ("x",), [np.zeros(2)], 1 << 10, "f.py")
    assert worker.dump(described) == worker.dump_slowly(described)
    assert json.loads(worker.dump(described)) == json.loads(worker.dump_slowly(described))


@pytest.mark.parametrize("name", ["float64", "float32", "int64", "bool", "uint8", "zero-d", "empty", "transposed",
                                  "strided"])
def test_arrays_arrive_with_their_numbers_shape_and_dtype(name):
    sent = VALUES[name]
    value = decode_value(json.loads(worker.dump(worker.describe(sent, [1 << 10]))))
    assert value.kind == "ndarray" and value.dtype == sent.dtype.name and value.shape == sent.shape
    np.testing.assert_array_equal(value.array, sent.astype(float))


def _array(**fields):
    return {"kind": "ndarray", "type": "numpy.ndarray", "__nd__": "<f8", "shape": [2],
            "data": "AAAAAAAA8D8AAAAAAAAAQA==", **fields}


MALFORMED = {
    "characters outside base64": _array(data="AAAAAAAA8D8AAAAAAAAAQA=!"),
    "too few bytes for the shape": _array(data="AAAAAAAA8D8="),
    "data not a string": _array(data=[1, 2]),
    "data not ASCII": _array(data="AAAAAAAA8D8AAAAAAAAAQ\u00e9="),
    "shape holding a bool": _array(shape=[True, 2]),
    "negative shape": _array(shape=[-2]),
    "shape holding a float": _array(shape=[2.0]),
    "shape not a list": _array(shape="2"),
    "too many dimensions": _array(shape=[1] * 33),
    "too many elements": _array(shape=[1 << 30]),
    "object dtype": _array(__nd__="|O"),
    "unknown dtype": _array(__nd__="nonsense"),
    "dtype not a string": _array(__nd__=8),
}


def test_a_well_formed_array_decodes():
    assert decode_value(_array()).array.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_arrays_are_unreadable_values(name):
    assert decode_value(MALFORMED[name]) is UNREADABLE


def test_outcomes_keep_only_mutations_of_real_parameters():
    raw = {"kind": "returned", "value": _array(), "mutated": ["x", "w9", 3, ["x"]]}
    outcome = decode_outcome(raw, ("x", "w1"))
    assert outcome.kind == "returned" and outcome.mutated == ("x",)
    assert decode_outcome([raw], ("x",)).kind == "not_run"


def _channel() -> _LearnerChannel:
    ours, _theirs = socket.socketpair()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    for fd in (out_w, err_w):
        os.close(fd)
    channel = _LearnerChannel(ours, out_r, err_r, Limits())
    channel.expect(1 << 16)
    return channel


def test_frames_parse_the_same_however_the_bytes_arrive():
    frames = [b"R" + json.dumps({"i": i, "pad": "x" * (i * 37 % 500)}).encode() for i in range(200)]
    stream = b"".join(struct.pack(">I", len(f)) + f for f in frames)
    rng = random.Random(0)
    for _ in range(20):
        channel = _channel()
        position = 0
        while position < len(stream):
            step = rng.choice([1, 3, 4, 5, 100, 4096, len(stream)])
            channel.buffer += stream[position:position + step]
            channel._parse()
            position += step
        assert list(channel.frames) == frames and not channel.buffer and not channel.violation
        channel.close()


def test_an_oversized_frame_is_a_violation_and_nothing_after_it_is_taken():
    channel = _channel()
    channel.expect(100)
    ok, big = b"R" + b"1" * 10, b"R" + b"1" * 200
    channel.buffer += b"".join(struct.pack(">I", len(f)) + f for f in (ok, big, ok))
    channel._parse()
    assert list(channel.frames) == [ok] and channel.violation
    channel.close()
