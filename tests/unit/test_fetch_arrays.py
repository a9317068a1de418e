"""Rows to numpy arrays and dicts: the conversions behind the fetch formats, without a database."""

from __future__ import annotations

import datetime
import decimal

import numpy as np
import pytest

from dj_sqla.execution.fetch import column_array, record_array, rows_to_arrays, rows_to_dicts

NAMES = ["n", "x", "flag", "name", "when"]
ROWS = [
    (1, 0.5, True, "a", datetime.date(2020, 1, 1)),
    (2, 1.5, False, "bb", datetime.date(2020, 1, 2)),
]


def test_numbers_are_typed_and_everything_else_kept_as_objects() -> None:
    arrays = rows_to_arrays(NAMES, ROWS)
    assert [arrays[n].dtype.kind for n in NAMES] == ["i", "f", "b", "O", "O"]
    assert arrays["name"].tolist() == ["a", "bb"]
    assert arrays["when"][1] == datetime.date(2020, 1, 2)


@pytest.mark.parametrize(
    "values",
    [
        [1, None],  # a NULL in an integer column: no silent 0 or NaN
        [1.5, None],
        [True, None],
        [decimal.Decimal("1.10"), decimal.Decimal("2")],  # exact decimals stay exact
        [2**64, 1],  # wider than any numpy integer
    ],
)
def test_values_numpy_would_change_stay_objects(values: list[object]) -> None:
    array = column_array(values)
    assert array.dtype == object
    assert array.tolist() == values


def test_record_array_matches_numpy_fromarrays() -> None:
    arrays = rows_to_arrays(NAMES, ROWS)
    columns = [arrays[n] for n in NAMES]
    record = record_array(NAMES, columns)
    expected = np.rec.fromarrays(columns, names=NAMES)
    assert isinstance(record, np.recarray)
    assert record.dtype == expected.dtype
    assert record.tolist() == expected.tolist()
    assert record.name.tolist() == ["a", "bb"]


def test_no_rows_give_empty_arrays_with_the_names() -> None:
    arrays = rows_to_arrays(NAMES, [])
    record = record_array(NAMES, [arrays[n] for n in NAMES])
    assert len(record) == 0
    assert record.dtype.names == tuple(NAMES)


@pytest.mark.parametrize("width", [0, 1, 2, 7, 300])
def test_rows_to_dicts_for_any_number_of_attributes(width: int) -> None:
    names = tuple(f"a{i}" for i in range(width))
    rows = [tuple(range(r, r + width)) for r in range(3)]
    assert rows_to_dicts(names, rows) == [dict(zip(names, row, strict=True)) for row in rows]


def test_rows_to_dicts_keys_are_not_source_code() -> None:
    names = ("class", "x y", "__import__('os')", "k0")
    assert rows_to_dicts(names, [(1, 2, 3, 4)]) == [dict(zip(names, (1, 2, 3, 4), strict=True))]
