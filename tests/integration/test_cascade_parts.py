"""Cascades that reach masters through their parts (``part_integrity="cascade"``): a part
that references another part through renamed attributes, and two parts of one master that
each reach a different master row."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import dj_sqla as dj


def test_part_referencing_a_part_through_renamed_attributes(
    new_schema: Callable[..., dj.Schema],
) -> None:
    schema = new_schema("cascade")

    @schema
    class Master(dj.Manual):
        definition = "master_id : int32"

        class PartA(dj.Part):
            definition = """
            -> master
            part_a_id : int32
            """

        class PartB(dj.Part):
            definition = """
            -> Master.PartA.proj(src_master='master_id', src_part='part_a_id')
            part_b_id : int32
            """

    Master.insert([(1,), (2,)])
    Master.PartA.insert([(1, 10), (2, 20)])
    Master.PartB.insert([(1, 10, 100), (2, 20, 200)])
    doomed = Master.PartB & {"src_master": 1, "src_part": 10, "part_b_id": 100}
    counts = dj.Diagram.cascade(doomed, part_integrity="cascade").counts()
    assert counts[Master.full_table_name] == 1  # the key went up through PartA's names
    assert counts[Master.PartA.full_table_name] == 1
    doomed.delete(prompt=False, part_integrity="cascade")
    assert Master.keys() == [{"master_id": 2}]
    assert len(Master.PartA()) == len(Master.PartB()) == 1


def test_two_parts_of_one_master_reach_both_masters(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("cascade")

    @schema
    class Ext(dj.Manual):
        definition = "ext_id : int32"

    @schema
    class Master(dj.Manual):
        definition = "master_id : int32"

        class PartA(dj.Part):
            definition = """
            -> master
            -> Ext
            """

        class PartB(dj.Part):
            definition = """
            -> master
            -> Ext
            """

    Ext.insert([(1,), (2,)])
    Master.insert([(1,), (2,), (3,)])
    Master.PartA.insert([(1, 1), (3, 2)])
    Master.PartB.insert([(2, 1), (3, 2)])
    doomed = Ext & {"ext_id": 1}
    assert (
        dj.Diagram.cascade(doomed, part_integrity="cascade").counts()[Master.full_table_name] == 2
    )
    doomed.delete(prompt=False, part_integrity="cascade")
    assert Master.keys() == [{"master_id": 3}]
    assert len(Master.PartA()) == len(Master.PartB()) == 1
    assert len(Ext()) == 1


def test_unknown_part_integrity_is_a_value_error(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("cascade")

    @schema
    class Keeper(dj.Manual):
        definition = "kid : int32"

    Keeper.insert1((1,))
    with pytest.raises(ValueError, match="part_integrity must be one of"):
        (Keeper & {"kid": 1}).delete(prompt=False, part_integrity="casade")
    with pytest.raises(dj.DataJointError, match="'cascade' applies to delete only"):
        Keeper.drop(part_integrity="cascade")
    assert len(Keeper()) == 1
