"""``dj.logger``: the package's logger, its level names and its default console output.

Pipelines log through ``dj.logger`` (``dj.logger.info("populated %s", key)``) as they do with
DataJoint. The logger is named ``dj_sqla``, so the modules' own ``logging.getLogger(__name__)``
loggers (``dj_sqla.jobs``, ...) are its children, and it does not clash with the real
``datajoint`` package's logger when both are imported in one process. Its level follows the
``loglevel`` setting (``dj.config["loglevel"] = "DEBUG"``; environment ``DJ_LOG_LEVEL``).

Output: like DataJoint, messages are printed without any logging set up by the application
(to standard error, or standard output with ``DJ_LOG_STREAM=stdout``). Once the application
configures logging itself (a handler on the root logger, e.g. ``logging.basicConfig()``), the
default output steps aside and records reach only the application's handlers, so nothing is
printed twice.

Example:
    >>> import logging
    >>> set_level("warning")
    'WARNING'
    >>> logger.isEnabledFor(logging.INFO)
    False
    >>> set_level("INFO")
    'INFO'
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

from .errors import ConfigError, InvalidSettingError

#: The level names ``loglevel`` accepts (any letter case), lowest first.
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

#: The package logger, exported as ``dj.logger``.
logger = logging.getLogger("dj_sqla")


def level_name(level: str | int) -> str:
    """The canonical name of a log level given as a name (any case) or a ``logging`` number.

    Raises:
        InvalidSettingError: the level is none of :data:`LEVELS` (a ``ValueError``).

    Example:
        >>> level_name("debug"), level_name(30)
        ('DEBUG', 'WARNING')
    """
    if isinstance(level, int) and not isinstance(level, bool):
        name = logging.getLevelName(level)
    elif isinstance(level, str):
        name = level.strip().upper()
    else:
        name = ""
    if name not in LEVELS:
        raise InvalidSettingError(
            f"loglevel={level!r} is not a log level; use one of {', '.join(LEVELS)}."
        )
    return name


def set_level(level: str | int) -> str:
    """Set the level of :data:`logger`; returns the canonical level name.

    Raises:
        ConfigError: the level is none of :data:`LEVELS`.

    Example:
        >>> set_level("info")
        'INFO'
    """
    name = level_name(level)
    logger.setLevel(name)
    return name


class _ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Prints records until the application sets up logging of its own (see module doc).

    The stream is looked up at each record, so a replaced ``sys.stderr`` (a notebook, a test
    runner's capture) receives the output.
    """

    def __init__(self, stream_name: str) -> None:
        super().__init__()
        self.stream_name = stream_name

    def _target(self) -> TextIO:
        return sys.stdout if self.stream_name == "stdout" else sys.stderr

    def emit(self, record: logging.LogRecord) -> None:
        if logging.getLogger().handlers:
            return  # the application's handlers receive the record through propagation
        self.stream = self._target()
        super().emit(record)


_handler = _ConsoleHandler(os.environ.get("DJ_LOG_STREAM", "stderr").strip().lower())
_handler.setFormatter(logging.Formatter("[%(asctime)s][%(levelname)s]: %(message)s"))
logger.addHandler(_handler)
try:
    set_level(os.environ.get("DJ_LOG_LEVEL") or "INFO")
except ConfigError:
    # a bad DJ_LOG_LEVEL is reported when dj.config reads it; importing must not fail here
    set_level("INFO")
