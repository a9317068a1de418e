#!/usr/bin/env bash
# The project's main job: scripts/demo.sh [dj-sqla demo arguments...]
#
# Creates .venv when missing (installing Debian's python3-venv first if needed, as root),
# installs dj_sqla into it and runs the demo on the embedded SQLite default (./dj_sqla_data),
# unless DJ_SQLA_URL or --url names another database.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -x .venv/bin/python ]]; then
    if ! { command -v python3 && python3 -c 'import venv, ensurepip'; } >/dev/null 2>&1; then
        if ((EUID != 0)); then
            echo "scripts/demo.sh: install python3 and python3-venv first" >&2
            exit 1
        fi
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            python3 python3-venv python3-pip
    fi
    python3 -m venv .venv
fi
# An editable install: the code is read from src/ at each run, so pip runs again only when
# pyproject.toml (the dependencies, the entry point) or the checkout's folder changed.
stamp=.venv/.dj_sqla-demo-install
wanted="$PWD $(sha256sum pyproject.toml)"
if [[ ! -x .venv/bin/dj-sqla || "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
    .venv/bin/pip install -q -e .
    printf '%s\n' "$wanted" >"$stamp"
fi
exec .venv/bin/dj-sqla demo "$@"
