"""``populate()``: Imported and Computed tables fill themselves from their parents.

The keys to compute are those of ``key_source`` (by default the join of the parents named in
the primary key) that the table does not hold yet. Each key runs in its own transaction: if
``make`` raises, nothing of that key (master or part rows) is stored.

A ``make`` may be split in three (``make_fetch``, ``make_compute``, ``make_insert``): fetching
and computing then happen outside the transaction, and inside it the inputs are fetched again
and must be unchanged before ``make_insert`` runs, so a long computation holds no locks.

Example:
    ``SessionStats.populate(display_progress=True)`` returns
    ``{"success_count": 12, "error_list": []}``.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import DataJointError

if TYPE_CHECKING:
    from .expression import QueryExpression


class AutoPopulate:
    """Mixed into ``dj.Imported`` and ``dj.Computed``."""

    _allow_insert: ClassVar[bool]

    @classmethod
    def _default_key_source(cls) -> QueryExpression:
        """The join of the parents whose foreign keys are in the primary key, as keys."""
        from .expression import TableExpression

        table = cls._declared()  # type: ignore[attr-defined]
        schema = cls._require_schema()  # type: ignore[attr-defined]
        source: QueryExpression | None = None
        for fk in table.foreign_key_constraints:
            local = [el.parent for el in fk.elements]
            if not all(c.primary_key for c in local):
                continue
            parent_class = schema.class_for(fk.referred_table.schema, fk.referred_table.name)
            if parent_class is None:
                raise DataJointError(
                    f"The parent table `{fk.referred_table.schema}`.`{fk.referred_table.name}` "
                    "has no class in this process; activate its schema first."
                )
            parent = TableExpression(parent_class).proj(
                **{
                    el.parent.name: el.column.name
                    for el in fk.elements
                    if el.parent.name != el.column.name
                }
            )
            source = parent if source is None else source * parent
        if source is None:
            raise DataJointError(
                f"{cls.__name__} has no foreign key in its primary key, so it has no default "
                "key_source; define key_source on the class."
            )
        return source.proj()

    @classmethod
    def _key_source(cls) -> QueryExpression:
        """``key_source`` as the class defines it (attribute, property or classmethod)."""
        from .expression.core import as_expression

        override = inspect.getattr_static(cls, "key_source", None)
        if override is None:
            return cls._default_key_source()
        if isinstance(override, property) and override.fget is not None:
            value: Any = override.fget(cls())
        elif isinstance(override, (classmethod, staticmethod)):
            value = override.__get__(None, cls)()
        else:
            value = override
        return as_expression(value)

    @classmethod
    def _todo(cls, restrictions: tuple[Any, ...]) -> QueryExpression:
        source = cls._key_source()
        for restriction in restrictions:
            source = source & restriction
        return source.proj() - cls

    @classmethod
    def progress(cls, *restrictions: Any, display: bool = False) -> tuple[int, int]:
        """``(remaining, total)`` keys of ``key_source`` (restricted) still to compute."""
        source = cls._key_source()
        for restriction in restrictions:
            source = source & restriction
        total = len(source)
        remaining = len(source.proj() - cls)
        if display:
            done = total - remaining
            percent = 100 * done / total if total else 100.0
            print(f"{cls.__name__}: {done}/{total} ({percent:.1f}%) done, {remaining} to go")
        return remaining, total

    @classmethod
    def populate(
        cls,
        *restrictions: Any,
        suppress_errors: bool = False,
        return_exception_objects: bool = False,
        reserve_jobs: bool = False,
        max_calls: int | None = None,
        display_progress: bool = False,
        processes: int = 1,
        make_kwargs: Mapping[str, Any] | None = None,
        priority: int | None = None,
    ) -> dict[str, Any]:
        """Compute and insert the rows of every key of ``key_source`` not yet in the table.

        Args:
            restrictions: limit the keys (as with ``&``).
            suppress_errors: collect errors in ``error_list`` and go on with the next key.
            return_exception_objects: list exceptions instead of their messages.
            reserve_jobs, processes, priority: distributed populate (not available yet).
            max_calls: compute at most this many keys.
            display_progress: show a progress bar.
            make_kwargs: passed to ``make`` (or ``make_fetch``).

        Returns:
            ``{"success_count": n, "error_list": [(key, error), ...]}``.
        """
        schema = cls._require_schema()  # type: ignore[attr-defined]
        connection = schema.connection
        if reserve_jobs or processes != 1 or priority is not None:
            raise DataJointError(
                "reserve_jobs, processes and priority (distributed populate) are not available "
                "yet in dj_sqla; call populate() without them."
            )
        if connection.in_transaction:
            raise DataJointError(
                "populate() cannot run inside a transaction: each key gets its own. Call it "
                "outside `with connection.transaction`."
            )
        keys = cls._todo(restrictions).keys(order_by="KEY")
        if max_calls is not None:
            keys = keys[:max_calls]
        errors: list[tuple[dict[str, Any], Any]] = []
        success = 0
        for key in _progress(keys, display_progress, cls.__name__):
            try:
                cls._make_one(connection, key, dict(make_kwargs or {}))
                success += 1
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as err:
                if not suppress_errors:
                    raise
                message = f"{type(err).__name__}: {err}\n{traceback.format_exc()}"
                errors.append((key, err if return_exception_objects else message))
        return {"success_count": success, "error_list": errors}

    @classmethod
    def _make_one(cls, connection: Any, key: dict[str, Any], make_kwargs: dict[str, Any]) -> None:
        table: Any = cls()  # the table as a query: make(self, key) gets it as self
        tripartite = all(hasattr(cls, n) for n in ("make_fetch", "make_compute", "make_insert"))
        if tripartite:
            fetched = table.make_fetch(key, **make_kwargs)
            computed = table.make_compute(key, *_tuple(fetched))
        with connection.transaction, _inserting(cls):
            if key in table:  # another process computed it meanwhile
                return
            if not tripartite:
                table.make(key, **make_kwargs)
                return
            if not _same(_tuple(table.make_fetch(key, **make_kwargs)), _tuple(fetched)):
                raise DataJointError(
                    f"{cls.__name__}: the data make_fetch read for {key} changed while "
                    "make_compute ran; nothing was inserted. Populate again."
                )
            table.make_insert(key, *_tuple(computed))


def _tuple(value: Any) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else (value,)


def _same(a: Any, b: Any) -> bool:
    """Deep equality that also compares numpy arrays (whose ``==`` is elementwise)."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if hasattr(a, "__array__") or hasattr(b, "__array__"):
        import numpy

        x, y = numpy.asarray(a), numpy.asarray(b)
        floats = x.dtype.kind == "f" and y.dtype.kind == "f"
        return bool(numpy.array_equal(x, y, equal_nan=floats))
    return bool(a == b)


@contextmanager
def _inserting(cls: type) -> Iterator[None]:
    """Let ``make`` insert into its own table (and parts)."""
    from .table import parts_of

    classes = [cls, *parts_of(cls)]
    for each in classes:
        type.__setattr__(each, "_allow_insert", True)
    try:
        yield
    finally:
        for each in classes:
            type.__setattr__(each, "_allow_insert", False)


def _progress(keys: list[dict[str, Any]], display: bool, name: str) -> Any:
    if not display:
        return keys
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return keys
    return tqdm(keys, desc=name, unit="key")
