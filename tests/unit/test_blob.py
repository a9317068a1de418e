"""Blob serialization against the real DataJoint package: round trips, identical bytes, errors.

Three directions for every value kind: dj_sqla pack -> dj_sqla unpack, dj_sqla pack ->
DataJoint unpack, DataJoint pack -> dj_sqla unpack; and the bytes of both packers compared.
``expected`` states what comes back for a value, as DataJoint defines it (a frozenset comes
back a set, a str array an object array, a 0-d array a numpy scalar, ...).
"""

from __future__ import annotations

import contextlib
import datetime
import math
import struct
import uuid
import warnings
import zlib
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dj_sqla.codecs import BlobDecodeError, BlobEncodeError, MatCell, MatStruct, blob
from dj_sqla.config import config
from dj_sqla.errors import DataJointError

with warnings.catch_warnings():
    # datajoint warns on import (no datajoint.json, deprecated modules); pytest makes warnings
    # errors. Only this module imports it, and no other test module imports this one.
    warnings.simplefilter("ignore")
    from datajoint import blob as dj_blob

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------
# What comes back, and how to compare


def to_datajoint(value: Any) -> Any:
    """The same value with DataJoint's MatCell/MatStruct classes, for DataJoint's packer."""
    if isinstance(value, MatCell):
        cell = np.empty(value.shape, dtype=object)
        for index in np.ndindex(value.shape):
            cell[index] = to_datajoint(value[index])
        return cell.view(dj_blob.MatCell)
    if isinstance(value, MatStruct):
        return np.asarray(value).view(dj_blob.MatStruct)
    if isinstance(value, dict):
        return {k: to_datajoint(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(to_datajoint(v) for v in value)
    return value


def same(got: Any, want: Any, path: str = "value") -> None:
    """Exact equality: types, dtypes, shapes, bits of floats (NaN payloads and -0.0 too)."""
    if isinstance(want, dj_blob.MatCell | MatCell):
        assert isinstance(got, dj_blob.MatCell | MatCell), path
    elif isinstance(want, dj_blob.MatStruct | MatStruct):
        assert isinstance(got, dj_blob.MatStruct | MatStruct), path
    else:
        assert type(got) is type(want), f"{path}: {type(got)} is not {type(want)}"
    if isinstance(want, np.ndarray):
        assert got.dtype == want.dtype, f"{path}: {got.dtype} != {want.dtype}"
        assert got.shape == want.shape, f"{path}: {got.shape} != {want.shape}"
        if want.dtype.kind == "O":
            for index in np.ndindex(want.shape):
                same(got[index], want[index], f"{path}{list(index)}")
        elif want.dtype.fields:
            for name in want.dtype.names or ():
                same(np.asarray(got[name]), np.asarray(want[name]), f"{path}.{name}")
        else:
            assert got.tobytes(order="F") == want.tobytes(order="F"), path
    elif isinstance(want, np.generic):
        assert got.dtype == want.dtype, path
        assert got.tobytes() == want.tobytes(), path
    elif isinstance(want, float):
        assert struct.pack("<d", got) == struct.pack("<d", want), path
    elif isinstance(want, complex):
        same(got.real, want.real, path)
        same(got.imag, want.imag, path)
    elif isinstance(want, list | tuple):
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            same(g, w, f"{path}[{i}]")
    elif isinstance(want, dict):
        assert list(got) == list(want), path
        for k in want:
            same(got[k], want[k], f"{path}[{k!r}]")
    elif isinstance(want, Decimal) and want.is_nan():
        assert str(got) == str(want), path
    else:
        assert got == want, path


def expected(value: Any) -> Any:
    """What unpack(pack(value)) is, by DataJoint's rules."""
    if isinstance(value, MatCell):
        cell = np.empty(value.shape, dtype=object)
        for index in np.ndindex(value.shape):
            cell[index] = expected(value[index])
        return cell.view(MatCell) if value.size else np.empty(0, dtype=object).view(MatCell)
    if isinstance(value, MatStruct):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.fields:
            return np.asarray(value).view(np.recarray)  # DataJoint reads records as recarrays
        if value.dtype.kind in "US":
            out = np.empty(value.shape, dtype=object)
            for index in np.ndindex(value.shape):
                out[index] = value[index].item()
            return out
        if value.dtype.kind == "O":
            out = np.empty(value.shape, dtype=object)
            for index in np.ndindex(value.shape):
                out[index] = expected(value[index])
            return out
        native = value.astype(value.dtype.newbyteorder("="))
        return native[()] if native.ndim == 0 else native
    if isinstance(value, np.str_):
        return str(value)
    if isinstance(value, np.bytes_):
        return bytes(value)
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, frozenset):
        return set(value)
    if isinstance(value, list):
        return [expected(v) for v in value]
    if isinstance(value, tuple):
        return tuple(expected(v) for v in value)
    if isinstance(value, dict):
        return {k: expected(v) for k, v in value.items()}
    return value


def check_all_directions(value: Any, *, identical: bool = True) -> None:
    want = expected(value)
    for compress in (False, True):
        ours = blob.pack(value, compress=compress)
        same(blob.unpack(ours), want, "dj_sqla->dj_sqla")
        same(dj_blob.unpack(ours), want, "dj_sqla->DataJoint")
        theirs = dj_blob.pack(to_datajoint(value), compress=compress)
        same(blob.unpack(theirs), want, "DataJoint->dj_sqla")
        if identical:
            assert ours == theirs


# ---------------------------------------------------------------------------------------------
# Property-based round trips

NUMERIC = [
    *(np.dtype(f"{k}{n}") for k in "iu" for n in (1, 2, 4, 8)),
    np.dtype("f4"),
    np.dtype("f8"),
    np.dtype("bool"),
    *(np.dtype(f"M8[{u}]") for u in ("D", "s", "ms", "us", "ns")),
]
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


def layouts(arrays: st.SearchStrategy[np.ndarray]) -> st.SearchStrategy[np.ndarray]:
    """The same values in C order, Fortran order, or as a non-contiguous view."""

    def lay(arr: np.ndarray, how: int) -> np.ndarray:
        if how == 1:
            return np.asfortranarray(arr)
        if how == 2 and arr.ndim:
            return np.repeat(arr, 2, axis=0)[::2]
        return arr

    return st.builds(lay, arrays, st.integers(0, 2))


numeric_arrays = layouts(hnp.arrays(st.sampled_from(NUMERIC), SHAPES))
finite_complex = layouts(
    hnp.arrays(
        st.sampled_from([np.dtype("c8"), np.dtype("c16")]),
        SHAPES,
        elements={"allow_nan": False, "allow_infinity": False},
    )
)
string_arrays = hnp.arrays(
    st.sampled_from([np.dtype("U3"), np.dtype("U1")]),
    hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3),
    # UTF-8 encodable; numpy's fixed-width strings cannot end in NUL (it strips them)
    elements=st.text(
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=1
    ),
)
records = hnp.arrays(
    np.dtype([("a", "i4"), ("b", "f8"), ("c", "u1")]),
    hnp.array_shapes(min_dims=1, max_dims=2, max_side=3),
)

hashables = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=5),
    st.binary(max_size=5),
    st.uuids(),
    st.dates(),
)
scalars = st.one_of(
    hashables,
    st.booleans(),
    st.integers(min_value=-(2**300), max_value=2**300),
    st.floats(),
    st.complex_numbers(),
    st.datetimes(),
    st.times(),
    st.decimals(allow_nan=False),
)


def small_array(draw_from: st.SearchStrategy[np.ndarray]) -> st.SearchStrategy[np.ndarray]:
    return draw_from.filter(lambda a: a.size < 10)


values = st.recursive(
    st.one_of(scalars, small_array(numeric_arrays)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(hashables, children, max_size=4),
        st.frozensets(hashables, max_size=4),
        st.sets(hashables, max_size=4),
    ),
    max_leaves=12,
)


@FAST
@given(numeric_arrays)
def test_numeric_arrays_all_directions(arr: np.ndarray) -> None:
    check_all_directions(arr)


@FAST
@given(finite_complex)
def test_complex_arrays_all_directions(arr: np.ndarray) -> None:
    # DataJoint rebuilds complex values as real + 1j * imag, which loses -0.0 real parts
    # (and turns an infinite imaginary part into a NaN real part); values compare equal.
    ours = blob.pack(arr)
    assert ours == dj_blob.pack(arr)
    same(blob.unpack(ours), expected(arr))
    np.testing.assert_array_equal(dj_blob.unpack(ours), arr)


@FAST
@given(numeric_arrays.filter(lambda a: a.dtype.kind != "b" and a.dtype.itemsize > 1))
def test_big_endian_arrays_round_trip_as_native(arr: np.ndarray) -> None:
    swapped = arr.astype(arr.dtype.newbyteorder(">"))
    ours = blob.pack(swapped)
    assert ours == dj_blob.pack(arr)  # the bytes of the same values in native order
    same(blob.unpack(ours), expected(arr))


@FAST
@given(st.one_of(string_arrays, records))
def test_string_and_record_arrays_all_directions(arr: np.ndarray) -> None:
    check_all_directions(arr)


@FAST
@given(values)
def test_python_values_all_directions(value: Any) -> None:
    check_all_directions(value)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(scalars, small_array(numeric_arrays)), min_size=1, max_size=6))
def test_cells_all_directions(items: list[Any]) -> None:
    cell = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        cell[i] = item
    check_all_directions(cell.view(MatCell))


# ---------------------------------------------------------------------------------------------
# Explicit cases


@pytest.mark.parametrize(
    "value",
    [
        np.arange(12.0).reshape(3, 4),
        np.asfortranarray(np.arange(12, dtype="i2").reshape(3, 4)),
        np.arange(30)[::4],
        np.array(3.5),
        np.array(7, dtype="u8"),
        np.zeros((0, 3)),
        np.array([], dtype="f4"),
        np.array([1 + 2j, 3 - 4j], dtype="c8"),
        np.array([True, False]),
        np.array(["2020-01-01", "NaT"], dtype="M8[D]"),
        np.array(["ab", "c"]),
        np.array([1, "a", None, [1, 2], {"k": 2}], dtype=object),
        np.array([(1, 2.0)], dtype=[("x", "i4"), ("y", "f8")]),
        np.array([((1, 2), 3.0)], dtype=[("a", [("p", "i2"), ("q", "u1")]), ("y", "f8")]),
        np.rec.array([(1, 2.0), (3, 4.0)], dtype=[("x", "i4"), ("y", "f8")]),
        np.float32(2.5),
        np.int16(-3),
        np.bool_(True),
        np.datetime64("2020-01-01T10:00"),
        np.str_("text"),
        np.bytes_(b"raw"),
        2**200,
        -(2**63),
        0,
        1.5,
        float("nan"),
        -0.0,
        complex(1, -2),
        True,
        "héllo wörld",
        "",
        b"\x00\xff",
        bytearray(b"xy"),
        None,
        [1, [2, [3]], (4,)],
        (),
        {1, 2, 3},
        frozenset({"a"}),
        {"a": 1, 2: "b", (1, 2): None, uuid.UUID(int=5): [1]},
        datetime.datetime(2020, 1, 2, 3, 4, 5, 6),
        datetime.date(1, 1, 1),
        datetime.time(23, 59, 59, 999_999),
        datetime.time(0, 0),
        uuid.UUID("0f4a9b52-9f0a-4d0b-8b7a-0d7d5a1e2f33"),
        Decimal("3.14159"),
        Decimal("-1E+30"),
        Decimal("NaN"),
        np.array([1, "a"], dtype=object).view(MatCell),
        np.arange(4).reshape(2, 2).view(MatCell),
        np.array([(1, "x"), (2, "y")], dtype=[("a", object), ("b", object)]).view(MatStruct),
        {"nested": {"deep": [np.arange(3), {"x": np.eye(2)}]}},
    ],
    ids=repr,
)
def test_each_kind_all_directions(value: Any) -> None:
    check_all_directions(value)


def test_protocols_as_datajoint_chooses_them() -> None:
    assert blob.pack(np.arange(3.0))[:4] == b"mYm\0"  # MATLAB can read plain arrays
    cell = np.empty(2, dtype=object)
    cell[0], cell[1] = np.arange(3.0), np.ones((2, 2))
    assert blob.pack(cell.view(MatCell))[:4] == b"mYm\0"
    assert blob.pack(np.arange(3.0).view(MatCell))[:4] == b"dj0\0"  # elements: 0-d arrays
    assert blob.pack(np.array(1.0))[:4] == b"dj0\0"  # mYm has no 0-d arrays
    assert blob.pack(np.array(["2020"], dtype="M8[Y]"))[:4] == b"dj0\0"
    assert blob.pack(np.array(["a"]))[:4] == b"dj0\0"
    assert blob.pack(1)[:4] == b"dj0\0"


def test_char_arrays_follow_matlab() -> None:
    # MATLAB char arrays (numpy S1): a row of chars comes back as one string, as in DataJoint.
    for chars in (np.array([b"a", b"b", b"c"]), np.array([[b"a", b"b"], [b"c", b"d"]])):
        data = blob.pack(chars)
        assert data[:4] == b"mYm\0"
        assert data == dj_blob.pack(chars)
        got, want = blob.unpack(data), dj_blob.unpack(data)
        assert got.dtype == want.dtype
        assert got.shape == want.shape
        assert got.tolist() == want.tolist()
    assert blob.unpack(blob.pack(np.array([b"a", b"b", b"c"]))).tolist() == ["abc"]


def test_wide_bytes_arrays_are_object_arrays() -> None:
    # DataJoint refuses bytes arrays wider than one byte; they are stored as object arrays.
    arr = np.array([b"ab", b"c"])
    with pytest.raises(dj_blob.DataJointError):
        dj_blob.pack(arr)
    ours = blob.pack(arr)
    want = np.array([b"ab", b"c"], dtype=object)
    same(blob.unpack(ours), want)
    same(dj_blob.unpack(ours), want)


def test_read_only_views_like_datajoint() -> None:
    arr = np.arange(100_000.0)
    data = blob.pack(arr, compress=False)
    back = blob.unpack(data)
    assert not back.flags.writeable
    assert np.shares_memory(back, np.frombuffer(data, dtype=np.uint8))
    writable = blob.unpack(bytearray(data))
    assert writable.flags.writeable
    same(blob.unpack(memoryview(data)), arr)


def test_squeeze_as_datajoint() -> None:
    for value in (np.ones((1, 3, 1)), np.array([[5.0]]), [np.ones((2, 1))], np.array(2.0)):
        data = blob.pack(value)
        got, want = blob.unpack(data, squeeze=True), dj_blob.unpack(data, squeeze=True)
        assert type(got) is type(want)
        np.testing.assert_array_equal(got, want)
        assert np.shape(got) == np.shape(want)


def test_none_blob_is_none() -> None:
    assert blob.unpack(None) is None


# ---------------------------------------------------------------------------------------------
# Compression


def test_compression_threshold_and_header() -> None:
    small = np.zeros(100)  # 800 bytes of data: under DataJoint's 1000-byte threshold
    assert blob.pack(small)[:4] == b"mYm\0"
    large = np.zeros(1000)
    data = blob.pack(large)
    assert data[:6] == b"ZL123\0"
    plain = blob.pack(large, compress=False)
    assert struct.unpack_from("<Q", data, 6)[0] == len(plain)
    assert zlib.decompress(data[14:]) == plain
    assert data == dj_blob.pack(large)


def test_incompressible_blobs_stay_plain() -> None:
    noise = np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8)
    assert blob.pack(noise) == blob.pack(noise, compress=False) == dj_blob.pack(noise)


def test_large_arrays_in_every_layout() -> None:
    base = np.random.default_rng(2).standard_normal((300, 70))
    for arr in (base, np.asfortranarray(base), base[::2, ::3], base.reshape(30, 10, 70)):
        for compress in (False, True):
            data = blob.pack(arr, compress=compress)
            assert data == dj_blob.pack(arr, compress=compress)
            same(blob.unpack(data), arr)


# ---------------------------------------------------------------------------------------------
# Errors


class Opaque:
    pass


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (Opaque(), "Opaque"),
        (np.zeros(3, dtype=np.float16), "float16"),
        (np.zeros(3, dtype="m8[s]"), "timedelta64"),
        (np.zeros(2, dtype=np.clongdouble), "complex256"),
        (lambda: 1, "function"),
        (object(), "object"),
        (np.ma.masked_array([1, 2], mask=[0, 1]), "MaskedArray"),
    ],
)
def test_unserializable_values_name_their_type(value: Any, type_name: str) -> None:
    with pytest.raises(BlobEncodeError, match=type_name) as info:
        blob.pack(value)
    assert isinstance(info.value, DataJointError)
    assert type_name in (info.value.type_name or "")


def test_error_says_where_in_the_value_and_takes_context() -> None:
    with pytest.raises(BlobEncodeError) as info:
        blob.pack({"trials": [1, 2, Opaque()]})
    err = info.value
    assert err.path == ["['trials']", "[2]"]
    text = str(err.add_context(table="lab.session", attribute="data", key={"id": 3}))
    assert text.startswith("Table lab.session, attribute `data`, key {'id': 3}: ")
    assert "at value['trials'][2]" in text


def test_time_zones_are_refused_not_dropped() -> None:
    aware = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    with pytest.raises(BlobEncodeError, match="time zone"):
        blob.pack(aware)
    with pytest.raises(BlobEncodeError, match="time zone"):
        blob.pack(datetime.time(1, tzinfo=datetime.timezone.utc))


def test_huge_ints_and_bad_strings() -> None:
    with pytest.raises(BlobEncodeError, match="65535"):
        blob.pack(1 << (8 * 70_000))
    with pytest.raises(BlobEncodeError, match="UTF-8"):
        blob.pack("\ud800")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello world",
        b"mYm\0",
        b"dj0\0\x99",
        b"dj0\0\x05\xff\xff\x00\x00\x00\x00\x00\x00abc",  # string longer than the blob
        blob.pack([1, 2, 3])[:-1],  # truncated
        blob.pack([1, 2, 3]) + b"\0",  # trailing bytes
        b"ZL123\0" + struct.pack("<Q", 99) + zlib.compress(b"mYm\0"),  # wrong size
        b"ZL123\0" + struct.pack("<Q", 4) + b"not zlib",
        b"mYm\0A" + struct.pack("<QQII", 1, 1, 999, 0) + b"\0" * 8,  # unknown class id
        b"mYm\0P",  # sparse
    ],
)
def test_undecodable_bytes(data: bytes) -> None:
    with pytest.raises(BlobDecodeError):
        blob.unpack(data)


def test_native_blob_setting_when_config_defines_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # DataJoint 0.14: enable_python_native_blobs = False refuses dj0 values; 2.x has no such
    # setting. dj.config does not define it (yet), so pack() behaves as DataJoint 2.
    monkeypatch.setattr(blob, "_NATIVE_SETTING", True)
    monkeypatch.setattr(blob, "config", {blob.NATIVE_BLOBS_KEY: False})
    assert blob.pack(np.arange(3.0))[:4] == b"mYm\0"
    with pytest.raises(BlobEncodeError, match="enable_python_native_blobs"):
        blob.pack({"a": 1})
    monkeypatch.setattr(blob, "config", {blob.NATIVE_BLOBS_KEY: True})
    assert blob.pack({"a": 1})[:4] == b"dj0\0"


def test_setting_absent_from_config_means_always_native() -> None:
    assert blob._NATIVE_SETTING is (blob.NATIVE_BLOBS_KEY in list(config))
    assert blob.pack([1])[:4] == b"dj0\0"


def test_isnan_helper_is_exact() -> None:
    # same() compares floats by bits: a NaN equals itself, -0.0 differs from 0.0.
    same(float("nan"), float("nan"))
    with pytest.raises(AssertionError):
        same(-0.0, 0.0)
    assert math.isnan(blob.unpack(blob.pack(float("nan"))))


def test_matlab_structs_and_cells_as_datajoint_reads_them() -> None:
    """Numeric struct fields and empty cells come back as DataJoint returns them."""
    cases = [
        np.array([(1, 2.0), (3, 4.0)], dtype=[("a", "i4"), ("b", "f8")]).view(MatStruct),
        np.empty((0, 2), dtype=object).view(MatCell),  # DataJoint returns shape (0,)
        np.empty((2, 0), dtype=[("a", object)]).view(MatStruct),
    ]
    for value in cases:
        data = blob.pack(value)
        assert data == dj_blob.pack(to_datajoint(value))
        got, want = blob.unpack(data), dj_blob.unpack(data)
        assert type(got).__name__ == type(want).__name__
        assert got.shape == want.shape
        assert got.dtype == want.dtype
        assert repr(got.tolist()) == repr(want.tolist())


SAMPLES = [
    blob.pack(v, compress=c)
    for v in (
        {"a": [1, 2.5, "x", None], "b": np.arange(6.0).reshape(2, 3)},
        np.array([1, "a", b"b"], dtype=object),
        np.array([(1, 2.0)], dtype=[("x", "i4"), ("y", "f8")]),
        np.array([(1, "x")], dtype=[("a", object), ("b", object)]).view(MatStruct),
        np.array([b"a", b"b"]),
        (datetime.datetime(2020, 1, 1), uuid.UUID(int=1), Decimal("1.5"), 2**70, 1j),
        np.zeros(500),
    )
    for c in (False, True)
]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4),
    st.integers(0, 10_000),
)
def test_corrupt_blobs_raise_decode_errors_only(
    data: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    corrupt = bytearray(data)
    for pos, byte in flips:
        corrupt[pos % len(corrupt)] = byte
    corrupt = corrupt[: max(1, len(corrupt) - cut % len(corrupt))] if cut % 3 == 0 else corrupt
    with contextlib.suppress(BlobDecodeError):  # anything else fails the test
        blob.unpack(bytes(corrupt))


def test_squeezing_record_arrays() -> None:
    two = np.array([[(1, 2.0)], [(3, 4.0)]], dtype=[("x", "i4"), ("y", "f8")])
    data = blob.pack(two)
    got, want = blob.unpack(data, squeeze=True), dj_blob.unpack(data, squeeze=True)
    assert got.shape == want.shape == (2,)
    assert got.tolist() == want.tolist()
    # A single record: DataJoint fails (each column squeezes to a scalar); here it is a 0-d
    # record array.
    one = blob.unpack(blob.pack(two[:1, 0]), squeeze=True)
    assert isinstance(one, np.recarray)
    assert one.shape == ()
    assert one.tolist() == (1, 2.0)
