"""Fixtures of the settings tests: a fresh ``Config`` and an environment without DJ_* values."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dj_sqla import _log
from dj_sqla.config import SETTINGS, Config


@pytest.fixture
def clean_config_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No environment variable dj.config reads; the log level restored afterwards."""
    for setting in SETTINGS:
        if setting.env:
            monkeypatch.delenv(setting.env, raising=False)
    level = _log.logger.level
    yield
    _log.logger.setLevel(level)


@pytest.fixture
def cfg() -> Config:
    """A settings object of its own."""
    return Config()
