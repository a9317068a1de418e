"""Fixtures of the migration tests: ``alembic_env`` (see alembic_env.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from alembic_env import alembic_env  # noqa: F401  # the fixture
