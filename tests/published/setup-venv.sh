#!/usr/bin/env bash
# One Python venv with the published clients the acceptance runs use, pinned: the SODP client
# (live state, /live) and both discord.py IPC clients (the dashboard IPC). Idempotent: an
# existing venv that already has the three pins is left alone.
#
#   tests/published/setup-venv.sh          # venv at ${PUBLISHED_VENV:-~/.cache/erlc-bot-published-venv}
#
# Prints the venv's path on its last line.
set -euo pipefail

venv="${PUBLISHED_VENV:-$HOME/.cache/erlc-bot-published-venv}"
pins=(sodp-client==0.2.2 discord-ext-ipcx==0.4.0 discord-ext-ipc==2.1.1)

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -m pip freeze 2>/dev/null | grep -qix 'sodp-client==0.2.2' \
    || ! "$venv/bin/python" -m pip freeze | grep -qix 'discord-ext-ipcx==0.4.0' \
    || ! "$venv/bin/python" -m pip freeze | grep -qix 'discord-ext-ipc==2.1.1'; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
fi
echo "$venv"
