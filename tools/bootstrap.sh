#!/usr/bin/env bash
# Prepare a fresh machine: a Python >= 3.12 virtualenv with the pinned requirements,
# the bundled collections, shellcheck, the local stand-ins (PostgreSQL 15 with pgextwlist, redis-server)
# and the headless browser the HTML report is tested in (chromium; BOOTSTRAP_BROWSER=0
# skips it).
# Safe to run again: the venv is reused while requirements.txt is unchanged.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv="${VENV:-$root/.venv}"
stamp="$venv/.requirements.sha256"

log() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

python_ok() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null
}

find_python() {
    local candidate
    if [ -n "${PYTHON:-}" ]; then
        python_ok "$PYTHON" || die "PYTHON=$PYTHON is not Python >= 3.12"
        echo "$PYTHON"; return
    fi
    for candidate in python3.13 python3.12 python3; do
        if command -v "$candidate" >/dev/null && python_ok "$candidate"; then
            command -v "$candidate"; return
        fi
    done
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[3-9]*/bin/python3 \
                     "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3; do
        if [ -x "$candidate" ] && python_ok "$candidate"; then
            echo "$candidate"; return
        fi
    done
    die "no Python >= 3.12 found (looked for python3.13, python3.12, python3 and pyenv versions); set PYTHON=/path/to/python3.12+"
}

ensure_venv() {
    local want
    want=$(sha256sum "$root/requirements.txt" | cut -d' ' -f1)
    if [ -x "$venv/bin/python" ] && python_ok "$venv/bin/python" \
        && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        log "reusing $venv"
        return
    fi
    local python
    python=$(find_python)
    log "creating $venv with $python"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/requirements.txt"
    echo "$want" > "$stamp"
}

ensure_collections() {
    # The pinned `ansible` release bundles every collection we require, so this
    # resolves offline and prints "Nothing to do".
    ANSIBLE_CONFIG="$root/ansible.cfg" "$venv/bin/ansible-galaxy" collection install \
        -r "$root/collections/requirements.yml" >/dev/null \
        || die "collections/requirements.yml is not satisfied by the bundled collections"
}

apt_install() {
    local runner=() options=()
    if [ "$1" = --no-install-recommends ]; then
        options=("$1"); shift
    fi
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "need root or sudo to install $*"
        runner=(sudo)
    fi
    command -v apt-get >/dev/null || die "apt-get not found: install $* with your package manager"
    log "installing $* (apt)"
    "${runner[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${runner[@]}" apt-get install -y -qq "${options[@]}" "$@" >/dev/null
}

ensure_services() {
    command -v redis-server >/dev/null || apt_install redis-server
    # Installing the Debian package also starts a system redis on 6379; the project runs
    # its own instance on its own port, so the system one is left as the admin set it.
    if ! ls /usr/lib/postgresql/15/bin/postgres >/dev/null 2>&1; then
        apt_install postgresql-15
    fi
    # Lets the local stand-in's master user create pg_stat_statements, as RDS's does
    # (tools/emulator/local_services.py says why).
    if [ ! -e /usr/lib/postgresql/15/lib/plugins/pgextwlist.so ]; then
        apt_install postgresql-15-pgextwlist
    fi
}

ensure_tools() {
    # ansible-test's shellcheck sanity test skips itself (with a warning) without it.
    command -v shellcheck >/dev/null && return
    if [ "${BOOTSTRAP_SERVICES:-1}" = 1 ]; then
        apt_install shellcheck
    else
        log "shellcheck is missing: the sanity run will skip its test"
    fi
}

ensure_browser() {
    # Only the browser and a font for the screenshots: its recommended packages (upower,
    # udev, a notification daemon...) are a desktop's, of no use headless.
    if ! command -v chromium >/dev/null || [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
        apt_install --no-install-recommends chromium fonts-dejavu-core
    fi
}

ensure_venv
ensure_collections
ensure_tools
if [ "${BOOTSTRAP_SERVICES:-1}" = 1 ]; then
    ensure_services
fi
if [ "${BOOTSTRAP_BROWSER:-1}" = 1 ]; then
    ensure_browser
fi
log "ready ($("$venv/bin/ansible" --version | sed -n 1p))"
