"""Safe inputs: every supported type round-trips through JSON; nothing else gets in or out."""

from __future__ import annotations

import json
import math
import os
import pickle

import pytest

from polca.sandbox.codec import (
    CodecError,
    UnsafeValue,
    decode,
    decode_call,
    encode,
    encode_call,
    plain_from_pickle,
)
from polca.sandbox.target import Call, ScriptInput, input_from_safe, safe_input

numpy = pytest.importorskip("numpy")


def _through_json(value):
    return decode(json.loads(json.dumps(encode(value), allow_nan=False)))


SUPPORTED = [
    None, True, False, 0, -7, 2**53, "text", "", 1.5, -0.0,
    [1, [2, "x"]], {"a": 1, "b": [None]},
    (1, 2), (), ((1,), [2]),
    {1, 2, 3}, frozenset({"a", "b"}), set(),
    b"\x00\xffbytes", bytearray(b"ab"),
    complex(1, -2), 2**64 + 1, -(2**80),
    {1: "one", (2, 3): "pair", None: 0}, {"$t": "not a tag"}, {"k": {1, 2}},
]


@pytest.mark.parametrize("value", SUPPORTED, ids=repr)
def test_supported_values_round_trip_with_their_types(value) -> None:
    back = _through_json(value)
    assert back == value and type(back) is type(value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_round_trip(value) -> None:
    back = _through_json(value)
    assert type(back) is float and (math.isnan(back) if math.isnan(value) else back == value)


def test_nested_types_keep_their_types_inside_containers() -> None:
    back = _through_json({"rows": [(1, b"x"), frozenset({2})], 3: complex(0, 1)})
    assert type(back["rows"][0]) is tuple and type(back["rows"][0][1]) is bytes
    assert type(back["rows"][1]) is frozenset and back[3] == 1j


@pytest.mark.parametrize("array", [
    numpy.arange(6, dtype=numpy.int32).reshape(2, 3),
    numpy.array([1.5, numpy.nan, numpy.inf]),
    numpy.array([True, False]),
    numpy.array([1 + 2j], dtype=numpy.complex64),
    numpy.zeros((0, 3)),
])
def test_numpy_arrays_keep_dtype_shape_and_values(array) -> None:
    back = _through_json(array)
    assert back.dtype == array.dtype and back.shape == array.shape
    numpy.testing.assert_array_equal(back, array)


def test_numpy_scalars_stay_scalars() -> None:
    back = _through_json(numpy.float32(2.5))
    assert type(back) is numpy.float32 and back == 2.5


class Point:
    def __init__(self, x):
        self.x = x


class Labels(dict):
    pass


@pytest.mark.parametrize("value", [Point(1), Labels(a=1), numpy.array(["a"], dtype=object),
                                   [1, Point(2)], {"k": lambda: 0}])
def test_values_only_a_pickle_can_carry_are_refused(value) -> None:
    with pytest.raises(UnsafeValue, match="only a pickle can carry"):
        encode(value)


@pytest.mark.parametrize("data, match", [
    ({"$t": "pickle", "v": "gASV"}, "unknown tag 'pickle'"),
    ({"$t": "tuple", "v": [], "extra": 1}, "exactly the keys"),
    ({"$t": "float", "v": "1e3"}, "'nan', 'inf' or '-inf'"),
    ({"$t": "int", "v": "12ab"}, "decimal digits"),
    ({"$t": "bytes", "v": "not base64!"}, "malformed 'bytes'"),
    ({"$t": "ndarray", "dtype": "|O8", "shape": [1], "v": [1]}, "dtype"),
    ({"$t": "set", "v": [[1]]}, "cannot be a set member"),
    ([1, {"$t": 3, "v": 1}], r"value\[1\]: unknown tag 3"),
])
def test_the_decoder_rejects_what_it_does_not_know_in_one_line(data, match) -> None:
    with pytest.raises(CodecError, match=match) as caught:
        decode(data)
    assert "\n" not in str(caught.value)


def test_bare_non_finite_floats_are_not_data() -> None:
    with pytest.raises(CodecError, match="non-finite"):
        decode(json.loads("NaN"))


def test_calls_and_script_runs_round_trip_through_the_target_helpers() -> None:
    call = Call(args=([3, 1, 2], (1, 2)), kwargs={"key": frozenset({1})})
    data = json.loads(json.dumps(safe_input(call, script=False)))
    assert input_from_safe(data, script=False) == call
    run = ScriptInput(stdin="1 2\n", args=("--fast",))
    assert input_from_safe(safe_input(run, script=True), script=True) == run
    assert decode_call(encode_call((1,), {})) == ((1,), {})


def test_plain_pickles_of_tracing_become_safe_inputs() -> None:
    payload = pickle.dumps((([1, 2], {3: 4.5}, (b"x", complex(1, 1))), {"s": {1}}), protocol=2)
    item = safe_input(payload, script=False)
    assert input_from_safe(item, script=False) == Call(args=([1, 2], {3: 4.5}, (b"x", 1 + 1j)), kwargs={"s": {1}})


class Hostile:
    """Unpickling this runs ``open(marker, "w").write(...)``: a payload that writes a file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({self.marker!r}, 'w').write('pwned')",))


def test_a_hostile_pickle_is_refused_without_running(tmp_path) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(((Hostile(str(marker)),), {}))
    pickle.loads(payload)  # the payload is live: plain pickle runs it
    assert marker.exists()
    os.remove(marker)
    with pytest.raises(UnsafeValue, match="builtins.eval"):
        plain_from_pickle(payload)
    with pytest.raises(UnsafeValue):
        safe_input(payload, script=False)
    assert not marker.exists()


def test_a_pickle_of_an_instance_is_refused() -> None:
    with pytest.raises(UnsafeValue, match="Point"):
        plain_from_pickle(pickle.dumps(((Point(1),), {})))
