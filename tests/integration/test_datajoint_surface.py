"""DataJoint 2.3's ``Table.validate`` and ``dj.Instance``, on every backend."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa

import dj_sqla as dj


def test_validate_finds_every_problem_and_inserts_nothing(
    new_schema: Callable[..., dj.Schema],
) -> None:
    schema = new_schema("validate")

    @schema
    class Sample(dj.Manual):
        definition = """
        sample_id : int16
        ---
        kind : enum('blood', 'tissue')
        label : varchar(5)
        taken : date
        token = null : uuid
        data = null : <blob>
        note = '' : varchar(20)
        """

    good = {"sample_id": 1, "kind": "blood", "label": "ok", "taken": dt.date(2024, 5, 1)}
    iso = {**good, "sample_id": 2, "taken": "2024-05-02", "token": str(uuid.uuid4())}
    assert Sample.validate([good, iso]).is_valid
    bad = [
        {"sample_id": 40000, "kind": "bone", "label": "too long", "taken": "yesterday"},
        {"sample_id": 3, "kind": "blood", "taken": dt.date(2024, 5, 1), "color": "red"},
        {**good, "sample_id": 4, "token": "not-a-uuid", "data": object()},
        {**good, "sample_id": None},
    ]
    result = Sample.validate(bad)
    assert not result.is_valid
    assert result.rows_checked == 4
    found = {(i, name) for i, name, _ in result.errors}
    assert found == {
        (0, "sample_id"), (0, "kind"), (0, "label"), (0, "taken"),
        (1, "label"), (1, "color"),
        (2, "token"), (2, "data"),
        (3, "sample_id"),
    }  # fmt: skip
    assert "row 1: `color` is not an attribute" in result.summary()
    with pytest.raises(dj.DataJointError, match="9 problem"):
        result.raise_if_invalid()
    assert Sample.validate(bad[1], ignore_extra_fields=True).errors == [
        (0, "label", "`label` is missing, and it has no default")
    ]
    assert len(Sample()) == 0  # validating inserts nothing


def test_an_instance_has_its_own_connection(db_url: str, backend: str) -> None:
    url = sa.make_url(db_url)
    if backend == "sqlite":
        instance = dj.Instance(db_url)
        with pytest.raises(dj.ConfigError, match="needs a server backend"):
            dj.Instance("localhost", "me", "secret", backend="sqlite")
    else:
        instance = dj.Instance(
            str(url.host), url.username, url.password, port=url.port, backend=backend,
            database__name=url.database,
        )  # fmt: skip
    try:
        assert instance.connection is not dj.conn()
        assert instance.connection.backend.name == backend
        name = f"djt{uuid.uuid4().hex[:8]}_inst"
        schema = instance.Schema(name)
        try:
            assert schema.connection is instance.connection

            @schema
            class Item(dj.Manual):
                definition = "item_id : int32"

            Item.insert1({"item_id": 1})
            assert instance.FreeTable(f"{name}.item").to_dicts() == [{"item_id": 1}]
            assert "secret" not in repr(instance)
        finally:
            schema.drop(prompt=False)
    finally:
        instance.connection.engine.dispose()
