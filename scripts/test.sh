#!/usr/bin/env bash
# The project's one test command: scripts/test.sh [pytest arguments...]
#
# On a fresh Debian/Ubuntu machine (as root) it installs MariaDB, PostgreSQL and Python, creates
# .venv, installs the project into it and runs pytest. Running it again skips what is already
# there. It starts no database servers: the test session starts throwaway ones itself
# (tests/servers.py), so the system services stay off.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

POLICY_RC_D=/usr/sbin/policy-rc.d

have_mariadb() {
    command -v mariadbd || command -v mysqld || [[ -x /usr/sbin/mariadbd || -x /usr/sbin/mysqld ]]
}

have_postgresql() {
    command -v initdb || compgen -G '/usr/lib/postgresql/*/bin/initdb'
}

have_python_venv() {
    # Debian's python3 lacks ensurepip (and so `python3 -m venv`) without python3-venv.
    command -v python3 && python3 -c 'import venv, ensurepip'
}

missing=()
have_mariadb >/dev/null 2>&1 || missing+=(mariadb-server)
have_postgresql >/dev/null 2>&1 || missing+=(postgresql)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)  # dj.Diagram's SVG and PNG output
if [[ ! -x .venv/bin/python ]] && ! have_python_venv >/dev/null 2>&1; then
    missing+=(python3 python3-venv python3-pip)
fi

if ((${#missing[@]})); then
    if ((EUID != 0)); then
        echo "scripts/test.sh: missing system packages; install them first, e.g.:" >&2
        echo "    sudo apt-get install --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
    # Keep the packages' maintainer scripts from starting system services.
    created_policy=0
    if [[ ! -e $POLICY_RC_D ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC_D"
        chmod 755 "$POLICY_RC_D"
        created_policy=1
        trap 'rm -f "$POLICY_RC_D"' EXIT
    fi
    echo "scripts/test.sh: installing ${missing[*]}" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    if ((created_policy)); then
        rm -f "$POLICY_RC_D"
        trap - EXIT
    fi
fi

if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv
fi
# pytest is named explicitly: `pip install --group test` needs pip >= 25.1, newer than many venvs have.
.venv/bin/pip install -q -e '.[pandas,diagram,arrow,polars,s3]' pytest pytest-xdist hypothesis import-linter 'datajoint>=2.3,<2.4' 'moto[server]>=5'
# The published DataJoint Elements the integration tests run, without their heavy optional stacks
# (and without letting pip touch the datajoint release above): see tests/elements/requirements.txt.
.venv/bin/pip install -q --no-deps -r tests/elements/requirements.txt

status=0
.venv/bin/python -m pytest "$@" || status=$?
if ((status == 5)); then
    echo "scripts/test.sh: no tests ran (pytest exit code 5); treating that as a failure" >&2
    exit 1
fi
exit "$status"
