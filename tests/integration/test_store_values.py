"""Values a store attribute cannot take, alone and in the middle of a bulk insert.

Each case inserts one bad value (alone, then in the middle of more rows than the bulk paths'
thresholds): the insert is refused with an error naming the table, the attribute and the
row, no row is stored, and the store holds no object of the refused batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dj_sqla as dj
from dj_sqla.backends.mysql import LOAD_THRESHOLD
from dj_sqla.backends.postgresql import COPY_THRESHOLD
from dj_sqla.stores import get_store_backend

BULK = max(COPY_THRESHOLD, LOAD_THRESHOLD) + 200


def _objects() -> list[str]:
    """Every file in the ``main`` store."""
    backend = get_store_backend("main")
    root = backend._full_path("")
    if not backend.fs.exists(root):
        return []
    return sorted(
        f"{folder}/{name}" for folder, _, names in backend.fs.walk(root) for name in names
    )


@pytest.fixture
def kept(new_schema: Callable[..., dj.Schema], stores: Any) -> Any:
    schema = new_schema("kept")

    @schema
    class Kept(dj.Manual):
        definition = """
        kept_id : int32
        ---
        arr = null : <npy@main>
        blob = null : <blob@main>
        chunk = null : <hash@main>
        thing = null : <object@main>
        """

    return Kept


GOOD: dict[str, Any] = {
    "arr": np.arange(3),
    "blob": {"a": 1},
    "chunk": b"bytes",
    "thing": b"raw bytes",
}
#: (case, attribute, value): values the attribute cannot take
BAD = [
    ("npy list", "arr", [1, 2, 3]),
    ("npy object array", "arr", np.array([object()], dtype=object)),
    ("npy str", "arr", "not an array"),
    ("blob generator", "blob", (i for i in range(3))),
    ("blob lambda", "blob", lambda: 1),
    ("hash int", "chunk", 5),
    ("hash str", "chunk", "text is not bytes"),
    ("object missing path", "thing", "/no/such/file/anywhere"),
    ("object int", "thing", 7),
]


#: One case of each store type, also tried in the middle of a bulk insert (each good row
#: writes an object first, so the bulk cases are few).
IN_BULK = {"npy list", "blob lambda", "hash int", "object missing path"}


@pytest.mark.parametrize("size", [1, BULK], ids=["alone", "bulk"])
def test_store_values_that_do_not_fit(kept: Any, size: int) -> None:
    wrong = []
    kept.insert1({"kept_id": -1, **GOOD})
    before = _objects()
    for case, attribute, value in BAD if size == 1 else [b for b in BAD if b[0] in IN_BULK]:
        rows = [{"kept_id": i, attribute: GOOD[attribute]} for i in range(size)]
        middle = size // 2
        rows[middle] = {"kept_id": middle, attribute: value}
        try:
            kept.insert(rows)
        except dj.DataJointError as err:
            text = str(err)
            if f"{middle}" not in text or attribute not in text or "kept" not in text:
                wrong.append(f"{case}: the error names no table, attribute and row: {text}")
        except Exception as err:  # a raw error is a failure of the rule
            wrong.append(f"{case}: raw {type(err).__name__}: {str(err)[:200]}")
        else:
            wrong.append(f"{case}: stored")
        if len(kept()) != 1:
            wrong.append(f"{case}: {len(kept()) - 1} rows stored")
            (kept - {"kept_id": -1}).delete_quick()
        if _objects() != before:
            wrong.append(f"{case}: the refused rows left {len(_objects()) - len(before)} objects")
    assert not wrong, "\n".join(wrong)
