"""Helpers of :mod:`dj_sqla.populate`: the checks of DataJoint's ``make`` protocols, the
progress bar, and what worker processes need (signals, errors that survive pickling).
"""

from __future__ import annotations

import inspect
import pickle
import signal
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy
from tqdm import tqdm

from .errors import DataJointError


def picklable(error: BaseException) -> BaseException:
    """The exception itself if it can travel to the parent, else one with its description."""
    try:
        pickle.dumps(error)
    except Exception:
        stand_in = DataJointError(f"{type(error).__name__} (not picklable): {error}")
        stand_in.__dict__["_dj_sqla_stack"] = stack_of(error)
        return stand_in
    return error


def stack_of(error: BaseException) -> str:
    """The traceback, also of an exception that came back from a worker process."""
    kept = error.__dict__.get("_dj_sqla_stack")
    if isinstance(kept, str):
        return kept
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


def exit_on_terminate(signum: int, frame: Any) -> None:
    raise SystemExit("SIGTERM received")  # DataJoint's words, recorded as the job's error


@contextmanager
def terminate_as_exit() -> Iterator[None]:
    """SIGTERM raises SystemExit, so the current key is rolled back and its job records the
    interruption."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = signal.signal(signal.SIGTERM, exit_on_terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def step(cls: type, generator: Any, what: str) -> Any:
    """The next value of a generator ``make`` (``what`` it should yield now)."""
    try:
        return next(generator)
    except StopIteration:
        raise DataJointError(
            f"{cls.__name__}.make is a generator that stopped before yielding {what}; a "
            "generator make yields the fetched data, then (sent None) the computed result, "
            "and inserts when it is sent that result. Nothing was inserted."
        ) from None


def check_returned(cls: type, returned: Any) -> None:
    """A plain ``make`` inserts its rows and returns None; anything else is a mistake that
    must not count as success (a generator object would mean nothing was run)."""
    if returned is None:
        return
    if inspect.isgenerator(returned):
        returned.close()
        raise DataJointError(
            f"{cls.__name__}.make returned a generator without running it; define make "
            "itself as a generator function (DataJoint's protocol), or make it insert its rows "
            "and return None. Nothing was inserted."
        )
    raise DataJointError(
        f"{cls.__name__}.make returned {type(returned).__name__} {returned!r:.80}; make must "
        "insert its rows itself (self.insert1(...)) and return None. Nothing was inserted."
    )


def as_tuple(value: Any) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else (value,)


def same(a: Any, b: Any) -> bool:
    """Deep equality that also compares numpy arrays (whose ``==`` is elementwise)."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if hasattr(a, "__array__") or hasattr(b, "__array__"):
        x, y = numpy.asarray(a), numpy.asarray(b)
        floats = x.dtype.kind == "f" and y.dtype.kind == "f"
        return bool(numpy.array_equal(x, y, equal_nan=floats))
    return bool(a == b)


class NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(display: bool, name: str, total: int) -> Any:
    """A progress bar (tqdm) over ``total`` keys, or one that shows nothing."""
    if not display:
        return NoBar()
    return tqdm(total=total, desc=name, unit="key")


def each_key(keys: list[dict[str, Any]], bar: Any) -> Iterator[dict[str, Any]]:
    for key in keys:
        yield key
        bar.update()
