"""``python -m dj_sqla``: the ``dj-sqla`` command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
