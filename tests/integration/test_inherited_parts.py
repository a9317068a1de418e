"""A table class that inherits from another one gets its own copies of the base's parts."""

from __future__ import annotations

from collections.abc import Callable

import dj_sqla as dj


def test_subclass_declares_the_parts_it_inherits(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("inherit")

    @schema
    class Animal(dj.Manual):
        definition = "animal_id : int32"

    class Base(dj.Manual):
        source: type | None = None
        definition = """
        -> self.source
        b_id : int32
        """

        class Note(dj.Part):
            definition = """
            -> master
            note : varchar(64)
            """

        class Link(dj.Part):
            definition = """
            -> master
            -> master.Note
            """

    @schema
    class Derived(Base):
        source = Animal

    assert Derived.Link is not Base.Link  # the base's part is untouched
    assert Derived.Link.master is Derived
    assert set(Derived.Link.heading.names) == {"animal_id", "b_id", "note"}
    Animal.insert1((1,))
    Derived.insert1((1, 2))
    Derived.Note.insert1((1, 2, "hi"))
    Derived.Link.insert1((1, 2, "hi"))
    assert len(Derived.Link()) == 1
    assert "master" not in vars(Base.Link)
