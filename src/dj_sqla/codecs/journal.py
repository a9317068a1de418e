"""What store codecs wrote during one insert, so a failed insert leaves nothing behind.

Codecs that keep values in an object store encode before the row is written: the object is
in the store before the row that refers to it is committed. While an insert runs, a
:class:`WriteJournal` is open (:func:`journal`); a codec notes each object it created
(:meth:`WriteJournal.created`, with how to remove it) and each shared object it found already
stored and did not write again (:meth:`WriteJournal.reused`, with how to write it back). The
insert removes the created objects if its transaction fails, and checks the reused ones once
its rows are written but not yet committed (another process may have removed a shared object
whose last row it deleted meanwhile).

Values encoded for a row (with its key) travel to the column type as :class:`Encoded`, which
the column binds as it is.

Example:
    >>> removed = []
    >>> with journal() as j:
    ...     note_created(lambda: removed.append("x"))
    >>> j.undo(); removed
    ['x']
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Encoded:
    """A value already encoded for its row (the object is stored); bound as it is."""

    value: Any


@dataclass
class WriteJournal:
    """The store writes of one insert: how to undo them, and what to check before commit."""

    removals: list[Callable[[], None]] = field(default_factory=list)
    checks: list[Callable[[], None]] = field(default_factory=list)
    #: names of the shared objects found stored (their store and path), to lock before
    #: :meth:`recheck` where the backend locks by name
    shared: list[str] = field(default_factory=list)
    #: rows of DataJoint 0.14's tracking tables, by store, to write before the rows that
    #: reference them
    tracking: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    tracking_checks: list[Callable[[], None]] = field(default_factory=list)

    def created(self, remove: Callable[[], None]) -> None:
        """Note an object written for this insert, and how to remove it."""
        self.removals.append(remove)

    def reused(self, name: str, check: Callable[[], None]) -> None:
        """Note a shared object found stored (not written), and how to make sure it still is."""
        self.shared.append(name)
        self.checks.append(check)

    def undo(self) -> None:
        """Remove what was written (best effort: garbage collection finds what remains)."""
        removals, self.removals = self.removals, []
        for remove in reversed(removals):
            try:
                remove()
            except Exception as err:  # the insert's own error is the one to report (and the
                # object may never have been written); garbage collection finds what remains
                logger.debug("could not remove an object of a failed insert: %s", err)

    def recheck(self) -> None:
        """Write back shared objects that vanished since they were found (before commit)."""
        for check in self.checks:
            check()

    def __bool__(self) -> bool:
        return bool(self.removals or self.checks or self.tracking)


_JOURNAL: ContextVar[WriteJournal | None] = ContextVar("dj_write_journal", default=None)


@contextmanager
def journal() -> Iterator[WriteJournal]:
    """Collect the store writes made in the block (nested blocks share the outer journal)."""
    current = _JOURNAL.get()
    if current is not None:
        yield current
        return
    new = WriteJournal()
    token = _JOURNAL.set(new)
    try:
        yield new
    finally:
        _JOURNAL.reset(token)


def note_created(remove: Callable[[], None]) -> None:
    """Tell the open journal (if any) about an object written now."""
    current = _JOURNAL.get()
    if current is not None:
        current.created(remove)


def note_tracking(store: str, row: dict[str, Any], check: Callable[[], None]) -> None:
    """Tell the open journal (if any) about a row of the store's 0.14 tracking table, and how
    to make sure its object is stored once the row is written (a deletion may have removed it
    meanwhile)."""
    current = _JOURNAL.get()
    if current is not None:
        current.tracking.append((store, row))
        current.tracking_checks.append(check)


def note_reused(name: str, check: Callable[[], None]) -> None:
    """Tell the open journal (if any) about a shared object found stored."""
    current = _JOURNAL.get()
    if current is not None:
        current.reused(name, check)
