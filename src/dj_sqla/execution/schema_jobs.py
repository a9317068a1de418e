"""``schema.jobs``: the job tables of a schema's Imported and Computed tables, as a list
(DataJoint 2) that also answers DataJoint 0.14's calls on the schema's one job table."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import DataJointError
from ._job_table import BOOKKEEPING, bookkeeping_names
from .jobs import Jobs


class SchemaJobs(list[Jobs]):
    """``schema.jobs``: DataJoint 2's list of the schema's job tables, one per Imported or
    Computed table that has one.

    Classic (0.14) code treats it as the schema's one job table, whose jobs are named by
    table: ``schema.jobs.reserve(table_name, key)``, ``complete``, ``error``, ``ignore``,
    ``fetch``, ``fetch1``, ``(schema.jobs & {"table_name": ..., "status": "error"})`` and
    ``delete()`` reach the job table of the named table (``Table.table_name``), or of every
    table in the list. ``len()`` and iteration are the list's (DataJoint 2's meaning).

    Example::

        for jobs in schema.jobs:
            print(jobs.progress())
        (schema.jobs & {"status": "error"}).delete()   # 0.14 style: every table's errors
        schema.jobs.ignore(Scan.table_name, key)       # 0.14 style: one table's job
    """

    def __init__(
        self,
        jobs: Iterable[Jobs] = (),
        lookup: Callable[[str], Jobs | None] | None = None,
    ) -> None:
        super().__init__(jobs)
        self._lookup = lookup

    def __and__(self, condition: Any) -> SchemaJobs:
        selected: Iterable[Jobs] = self
        if isinstance(condition, Mapping) and "table_name" in condition:
            name = condition["table_name"]
            selected = [jobs for jobs in self if jobs.target.table_name == name]
            condition = {k: v for k, v in condition.items() if k != "table_name"}
        return SchemaJobs((jobs & condition for jobs in selected), self._lookup)

    def delete(self) -> int:
        """Delete the job rows of every table in the list; returns how many."""
        return sum(jobs.delete() for jobs in self)

    def _of(self, table_name: str) -> Jobs:
        """The jobs of the schema's table ``table_name`` (its SQL name, ``Table.table_name``)."""
        for jobs in self:
            if jobs.target.table_name == table_name:
                return jobs
        found = self._lookup(table_name) if self._lookup is not None else None
        if found is None:
            raise DataJointError(
                f"schema.jobs: the schema has no Imported or Computed table `{table_name}`; "
                "name a table by its table_name (e.g. Scan.table_name)."
            )
        return found

    def reserve(self, table_name: str, key: Mapping[str, Any]) -> bool:
        """DataJoint 0.14's ``reserve(table_name, key)``: :meth:`Jobs.reserve` of that table."""
        return self._of(table_name).reserve(key)

    def complete(self, table_name: str, key: Mapping[str, Any]) -> None:
        """DataJoint 0.14's ``complete(table_name, key)`` (:meth:`Jobs.complete`)."""
        self._of(table_name).complete(key)

    def error(
        self,
        table_name: str,
        key: Mapping[str, Any],
        error_message: str,
        error_stack: str | None = None,
    ) -> None:
        """DataJoint 0.14's ``error(table_name, key, message, stack)`` (:meth:`Jobs.error`)."""
        self._of(table_name).error(key, error_message, error_stack)

    def ignore(self, table_name: str, key: Mapping[str, Any]) -> None:
        """DataJoint 0.14's ``ignore(table_name, key)`` (:meth:`Jobs.ignore`)."""
        self._of(table_name).ignore(key)

    def to_dicts(self) -> list[dict[str, Any]]:
        """The jobs of every table as dicts with 0.14's ``table_name`` and ``key``, and the
        bookkeeping (``status``, ``error_message``, ...). As in DataJoint 0.14, whose job
        table has no pending jobs, jobs waiting for a worker are left out."""
        rows = []
        for jobs in self:
            key_names = jobs.primary_key
            names = bookkeeping_names(key_names)
            taken = jobs - {names["status"]: "pending"}
            for row in taken.to_dicts():
                rows.append(
                    {
                        "table_name": jobs.target.table_name,
                        "key": {name: row[name] for name in key_names},
                        **{name: row[names[name]] for name in BOOKKEEPING},
                    }
                )
        return rows

    def fetch(self, *attrs: str) -> Any:
        """0.14's ``schema.jobs.fetch()``: every job as a dict (see :meth:`to_dicts`), or the
        values of ``attrs`` (a list for one, a tuple of lists for several)."""
        rows = self.to_dicts()
        if not attrs:
            return rows
        columns = tuple([row[attr] for row in rows] for attr in attrs)
        return columns[0] if len(columns) == 1 else columns

    def fetch1(self, *attrs: str) -> Any:
        """0.14's ``schema.jobs.fetch1(...)``: the one job there is (its dict, or the values
        of ``attrs``).

        Raises:
            DataJointError: there is not exactly one job.
        """
        rows = self.to_dicts()
        if len(rows) != 1:
            raise DataJointError(
                f"schema.jobs.fetch1() needs exactly one job; there are {len(rows)}. Restrict "
                "it first (schema.jobs & {'table_name': ..., 'status': ...})."
            )
        if not attrs:
            return rows[0]
        values = tuple(rows[0][attr] for attr in attrs)
        return values[0] if len(values) == 1 else values
