"""Values both libraries store in blob columns, and how to compare what comes back.

Imported by the DataJoint subprocess (datajoint_pipeline.py) and by the dj_sqla test, so the
same values are written and checked on both sides. Imports no DataJoint code.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

import numpy as np


def values() -> dict[int, Any]:
    """Blob values by row id: every kind of value pipelines store."""
    rng = np.random.default_rng(7)
    return {
        1: np.arange(12, dtype=np.float64).reshape(3, 4),
        2: np.asfortranarray(rng.normal(size=(4, 3)).astype(np.float32)),
        3: np.array([1, -2, 3], dtype=np.int16),
        4: np.array([[True, False], [False, True]]),
        5: np.array([1 + 2j, -3.5j]),
        6: rng.integers(0, 255, size=20_000, dtype=np.uint8),  # large: compressed
        7: {"fs": 30_000.0, "channels": np.eye(3), "name": "probe A"},
        8: [1, "two", 3.0, None, [4, 5]],
        9: (dt.date(2024, 5, 1), dt.datetime(2024, 5, 1, 12, 30, 15, 250), "x"),
        10: np.array(["ab", "c"], dtype="<U2"),
        11: np.array([(1, 2.5), (3, 4.5)], dtype=[("a", "<i4"), ("b", "<f8")]),
        12: {"uuid": uuid.UUID(int=12345), "amount": decimal.Decimal("12.50"), "n": 2**70},
        13: np.float64(2.5),
        14: np.zeros((0, 3)),
        15: "just a string",
    }


def same(a: Any, b: Any) -> bool:
    """Equality that compares arrays by dtype, shape and values, recursively (a str array
    may come back as an object array of str, as DataJoint returns it)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype.names or b.dtype.names:
            return a.dtype.names == b.dtype.names and a.tolist() == b.tolist()
        if a.dtype.kind in "OU" or b.dtype.kind in "OU":
            return a.shape == b.shape and all(
                same(x, y) for x, y in zip(a.ravel(), b.ravel(), strict=True)
            )
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return (
            type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))  # type: ignore[arg-type]
        )
    if isinstance(a, str) and isinstance(b, str):  # numpy's str_ elements are str too
        return a == b
    return bool(a == b) and type(a) is type(b)


def mismatches(found: dict[int, Any], offset: int = 0) -> list[str]:
    """The ids whose value differs from :func:`values` (ids shifted by ``offset``)."""
    expected = values()
    return [
        f"{i + offset}: expected {expected[i]!r}, got {found.get(i + offset)!r}"
        for i in expected
        if not same(expected[i], found.get(i + offset))
    ]
