#!/usr/bin/env bash
# Creates (or refreshes) the Python venv used by the auth-core <-> hawkapi-auth interop
# tests and prints the path of its python on stdout (progress goes to stderr).
#
#   scripts/interop-venv.sh                 # venv at <repo>/.venv-interop
#   AUTH_INTEROP_VENV=/tmp/v scripts/interop-venv.sh
#   AUTH_INTEROP_PYTHON_BIN=/usr/bin/python3.13 scripts/interop-venv.sh
#
# Needs Python >= 3.12 (hawkapi-auth's minimum), looked for in this order:
# $AUTH_INTEROP_PYTHON_BIN, python3.13 / python3.12 / python3 on PATH, then
# ~/.pyenv/versions/3.1[2-9]*/bin/python. Idempotent: nothing is reinstalled while
# auth-core/tests/interop/requirements.txt and the base Python are unchanged (a stamp
# with their hash is kept in the venv); when they change, the venv is rebuilt from
# scratch so it holds exactly the pinned packages.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$root/auth-core/tests/interop/requirements.txt"
venv="${AUTH_INTEROP_VENV:-$root/.venv-interop}"
stamp_file="$venv/.interop-requirements.sha256"

log() { printf 'interop-venv: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

[ -f "$requirements" ] || die "missing $requirements"

# True when "$1" runs and is Python >= 3.12 (pyenv shims for versions that are not
# selected exist on PATH but fail to run, so each candidate is tried for real).
usable() {
    [ -n "$1" ] && "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' \
        >/dev/null 2>&1
}

find_python() {
    local c
    if [ -n "${AUTH_INTEROP_PYTHON_BIN:-}" ]; then
        usable "$AUTH_INTEROP_PYTHON_BIN" ||
            die "AUTH_INTEROP_PYTHON_BIN=$AUTH_INTEROP_PYTHON_BIN is not a working Python >= 3.12"
        printf '%s\n' "$AUTH_INTEROP_PYTHON_BIN"
        return
    fi
    for c in python3.13 python3.12 python3; do
        if command -v "$c" >/dev/null 2>&1 && usable "$(command -v "$c")"; then
            command -v "$c"
            return
        fi
    done
    for c in "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python; do
        if [ -x "$c" ] && usable "$c"; then
            printf '%s\n' "$c"
            return
        fi
    done
    die "no Python >= 3.12 found (hawkapi-auth needs it). Install one (e.g. \`apt-get install python3.12-venv\`, \`pyenv install 3.12\`, or \`uv python install 3.12\`) and/or point AUTH_INTEROP_PYTHON_BIN at its interpreter."
}

venv_python="$venv/bin/python"

# The stamp covers the requirements and the base interpreter of the venv.
stamp_for() {
    local base_version
    base_version="$("$1" -c 'import sys; print(sys.version)')"
    { cat "$requirements"; printf '%s\n' "$base_version"; } | sha256sum | cut -d' ' -f1
}

if [ -x "$venv_python" ] && usable "$venv_python" && [ -f "$stamp_file" ] &&
    [ "$(cat "$stamp_file")" = "$(stamp_for "$venv_python")" ]; then
    log "up to date: $venv"
    printf '%s\n' "$venv_python"
    exit 0
fi

python="$(find_python)"
log "using $python ($("$python" -c 'import sys; print(sys.version.split()[0])'))"

if [ -e "$venv" ] && [ -n "$(ls -A "$venv" 2>/dev/null || echo x)" ]; then
    # Only ever delete something that is a venv.
    [ -f "$venv/pyvenv.cfg" ] ||
        die "$venv exists and is not a venv; remove it or set AUTH_INTEROP_VENV elsewhere"
    log "requirements or interpreter changed: rebuilding $venv"
    rm -rf -- "$venv"
fi

log "creating $venv"
"$python" -m venv "$venv" || die "\`$python -m venv\` failed (on Debian: apt-get install python3-venv)"
log "installing $requirements"
"$venv_python" -m pip install --disable-pip-version-check --no-input -q -r "$requirements" >&2 ||
    die "pip install failed (is PyPI reachable?)"
"$venv_python" -c 'import hawkapi_auth, jwt, argon2, cryptography' ||
    die "the venv does not import hawkapi_auth / jwt / argon2 / cryptography"
stamp_for "$venv_python" >"$stamp_file"
log "ready: $venv"
printf '%s\n' "$venv_python"
