"""Mapping table classes on first ORM use, not at declaration.

SQLAlchemy's mapper costs about 1 ms per class (instrumented attributes, a generated
``__init__``, events): more than a third of declaring a table, and most of activating a
schema whose tables exist. DataJoint code never needs the mapper (dj_sqla queries the
``Table``), so a declared class only *registers* its mapping, and SQLAlchemy's mapper is built
the first time anything asks the class for it:

- ``sqlalchemy.inspect(Mouse)``, ``orm.class_mapper(Mouse)``, ``select(Mouse)``,
  ``session.get(Mouse, 1)``: SQLAlchemy looks a class's mapping up through its
  ``_sa_class_manager`` attribute, where a pending class holds a stand-in that maps the class
  when touched and then answers for SQLAlchemy's own manager;
- ``Mouse.mouse_id``, ``Mouse.__mapper__``: attributes that exist only once mapped reach the
  metaclass's ``__getattr__``, which maps and looks again;
- ``Mouse(mouse_id=1)``: an ORM row, made by the metaclass's ``__call__``, which maps first;
- ``orm.configure_mappers()`` (every ORM query configures first): all pending classes are
  mapped before SQLAlchemy resolves relationships, so ``relationship("Mouse")`` finds its class;
- ``schema.registry.mappers`` and ``schema.registry.configure()``.

dj_sqla's own code reads class attributes with :func:`own_attributes` and never needs the
mapper, so a pipeline that only uses DataJoint's API never builds one.

SQLAlchemy's unit of work orders a flush by relationships, not by foreign keys alone. So a
mapped class also gets one hidden many-to-one ``relationship()`` per foreign key to another
declared class (``_dj_parent_<constraint name>``, never loaded or cascaded): a flush then
inserts parents before children and deletes children before parents, within a schema and
across schemas.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import event, orm

#: ``type.__dict__["__dict__"]``: a class's own namespace without going through its metaclass.
_CLASS_DICT: Any = type.__dict__["__dict__"]


def own_attributes(cls: type) -> MappingProxyType[str, Any]:
    """``cls.__dict__`` without mapping a pending class (for dj_sqla's own bookkeeping)."""
    return _CLASS_DICT.__get__(cls, type(cls))  # type: ignore[no-any-return]


class _Pending(NamedTuple):
    registry: orm.registry
    table: sa.Table
    properties: Mapping[str, Any]
    #: the class attributes that mapping creates
    attributes: frozenset[str]


#: The class attribute that holds a pending class's ``_Pending`` (in the class's own namespace:
#: the entry leads back to the class through its registry, so a global map from class to entry,
#: even with weak keys, would keep every declared class and its schema alive).
_ENTRY = "_dj_sqla_pending"
#: Declared classes not mapped yet (weakly: a class nobody uses any more is collected).
_pending: weakref.WeakSet[type] = weakref.WeakSet()
#: Held while mapping; re-entrant because SQLAlchemy looks at the class while mapping it.
_lock = threading.RLock()
#: Classes being mapped by the thread that holds ``_lock``.
_mapping: set[type] = set()
#: The attribute where SQLAlchemy keeps a mapped class's manager (``orm.base``'s name for it).
_MANAGER_ATTRIBUTE = "_sa_class_manager"
#: Declared classes by ``id()`` of their Table (weakly: an entry lives as long as its class,
#: which holds its Table, so the id cannot be reused meanwhile; nothing is put in the Table's
#: ``info``, which Alembic renders into migration scripts).
_class_of_table: weakref.WeakValueDictionary[int, type] = weakref.WeakValueDictionary()
#: The prefix of the hidden relationships that order a flush.
PARENT_PREFIX = "_dj_parent_"


class _MapOnFirstUse:
    """Stands in a pending class's ``_sa_class_manager``: touching it maps the class, then
    forwards to the manager SQLAlchemy made (``class_mapper`` asks ``is_mapped`` and
    ``mapper``; a manager is also a mapping of attribute names)."""

    __slots__ = ("_cls",)

    def __init__(self, cls: type) -> None:
        self._cls = weakref.ref(cls)

    def _manager(self) -> Any:
        cls = self._cls()
        assert cls is not None  # the class holds this stand-in
        map_if_pending(cls)
        return own_attributes(cls)[_MANAGER_ATTRIBUTE]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            # introspection (``help(Mouse)`` asks every class attribute for ``__objclass__``)
            # is no ORM use: it must not map the class
            raise AttributeError(name)
        return getattr(self._manager(), name)

    def __getitem__(self, key: str) -> Any:
        return self._manager()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._manager()

    def __iter__(self) -> Iterator[str]:
        return iter(self._manager())

    def __len__(self) -> int:
        return len(self._manager())


def defer_mapping(
    cls: type, registry: orm.registry, table: sa.Table, properties: Mapping[str, Any]
) -> None:
    """Map ``cls`` on ``table`` in ``registry`` when it is first used as a mapped class."""
    renamed = {getattr(column, "key", None) for column in properties.values()}
    attributes = {*properties, *(c.key for c in table.c if c.key not in renamed)}
    _class_of_table[id(table)] = cls
    with _lock:
        type.__setattr__(cls, _ENTRY, _Pending(registry, table, properties, frozenset(attributes)))
        type.__setattr__(cls, _MANAGER_ATTRIBUTE, _MapOnFirstUse(cls))
        _pending.add(cls)


def _entry(cls: type) -> _Pending | None:
    return own_attributes(cls).get(_ENTRY)


def is_mapped(cls: type) -> bool:
    """Whether SQLAlchemy has mapped ``cls`` (a declared class that only waits for its first
    ORM use is not mapped yet, and can still be declared anew in another schema)."""
    attributes = own_attributes(cls)
    return _ENTRY not in attributes and _MANAGER_ATTRIBUTE in attributes


def map_for_attribute(cls: type, name: str) -> bool:
    """Map ``cls`` if it waits for mapping and ``name`` is an attribute that mapping creates
    (a column, ``__mapper__``, SQLAlchemy's ``_sa_...``); True if it did."""
    entry = _entry(cls)
    if entry is None:
        return False
    if name in entry.attributes or name == "__mapper__" or name.startswith("_sa_"):
        return map_if_pending(cls)
    return False


#: SQLAlchemy's warning for a second mapped class of the same name and module.
_SAME_NAME = "This declarative base already contains a class with the same class name"


def map_if_pending(cls: type) -> bool:
    """Map ``cls`` now if it waits for mapping; True if this call mapped it."""
    if _ENTRY not in own_attributes(cls):
        return False
    with _lock:
        entry = _entry(cls)
        if entry is None or cls in _mapping:
            # another thread mapped it meanwhile, or this thread is mapping it right now
            return False
        _mapping.add(cls)
        try:
            # SQLAlchemy takes a class with a manager for an instrumented one
            type.__delattr__(cls, _MANAGER_ATTRIBUTE)
            properties = {**_parent_relationships(entry.table), **entry.properties}
            with warnings.catch_warnings():
                # A part named like a table of its module (DataJoint's Elements have
                # Lab.Organization beside Organization) shares a class name in the registry;
                # SQLAlchemy warns, and a string lookup of that name is then ambiguous, as it
                # should be. The classes themselves are mapped correctly.
                warnings.filterwarnings("ignore", _SAME_NAME, sa.exc.SAWarning)
                entry.registry.map_imperatively(cls, entry.table, properties=properties)
        finally:
            _mapping.discard(cls)
            type.__delattr__(cls, _ENTRY)
            _pending.discard(cls)
        return True


class _OverlapsAll(frozenset[str]):
    """``overlaps`` of a hidden relationship: it never copies a value (it is never set), so
    it overlaps any relationship of the application on the same columns without a warning."""

    def __contains__(self, name: object) -> bool:
        return True


def _parent_relationships(table: sa.Table) -> dict[str, Any]:
    """A hidden many-to-one relationship to each declared parent class of ``table``."""
    found: dict[str, Any] = {}
    for fk in table.foreign_key_constraints:
        parent_table = fk.referred_table
        parent = _class_of_table.get(id(parent_table))
        if parent is None or parent_table is table:
            continue
        rel = orm.relationship(
            parent, foreign_keys=list(fk.columns), cascade="", lazy="raise", sync_backref=False
        )
        rel._overlaps = _OverlapsAll()  # type: ignore[assignment]  # only tested with `in`
        found[f"{PARENT_PREFIX}{fk.name}"] = rel
    return found


def map_pending(registry: orm.registry | None = None) -> None:
    """Map every pending class (of ``registry`` only, when given)."""
    with _lock:
        waiting = [
            cls
            for cls in list(_pending)
            if registry is None or getattr(_entry(cls), "registry", None) is registry
        ]
    for cls in waiting:
        map_if_pending(cls)


@event.listens_for(orm.Mapper, "before_configured")
def _map_before_configuring() -> None:
    """Configuring resolves relationships by class name: every class must be mapped by then."""
    map_pending()


class Registry(orm.registry):
    """A schema's ``sqlalchemy.orm.registry``: lists and configures its pending classes too."""

    @property
    def mappers(self) -> frozenset[orm.Mapper[Any]]:
        """All mappers of this registry (mapping the classes that wait for it)."""
        map_pending(self)
        return super().mappers

    def configure(self, cascade: bool = False) -> None:
        """Map the classes that wait for it, then configure as SQLAlchemy does."""
        map_pending(self)
        super().configure(cascade=cascade)
