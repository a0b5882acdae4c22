"""The published discord.py IPC clients, unmodified, against the bot's dashboard IPC.

    python ipc_check.py <port> <secret> <guild id>

Uses discord-ext-ipcx 0.4.0 (a new socket per request) and discord-ext-ipc 2.1.1 (one socket
for every request), each with the port given and with only the secret (their discovery step
on the same port). Checks: ping with echo, servers of the guild, a wrong secret answered with
the 403 JSON, a 1 MiB pad intact. Prints what it checked; exits non-zero on the first failure.
Run by `tests/it/ipc.rs` when PUBLISHED_VENV names a venv made by setup-venv.sh.
"""

import asyncio
import sys

from discord.ext import ipc, ipcx

PAD = 1 << 20


def check(what, ok, got):
    if not ok:
        print(f"FAILED: {what}: got {got!r:.300}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


async def exercise(name, request, guild):
    pong = await request("ping", echo=f"hello from {name}")
    check(f"{name}: ping echoes", pong == {"echo": f"hello from {name}"}, pong)
    servers = await request("/servers", guild=guild)
    labels = [s.get("label") for s in servers.get("servers", [])]
    check(f"{name}: servers lists main", "main" in labels, servers)
    big = await request("ping", echo="big", pad=PAD)
    pad = big.get("pad", "")
    check(f"{name}: a 1 MiB pad arrives intact", len(pad) == PAD and set(pad) == {"x"}, len(pad))


async def main(port, secret, guild):
    async with ipcx.Client(host="127.0.0.1", port=port, secret_key=secret) as client:
        await exercise("ipcx", client.request, guild)
    async with ipcx.Client(host="127.0.0.1", multicast_port=port, secret_key=secret) as client:
        await exercise("ipcx (discovered port)", client.request, guild)
    async with ipcx.Client(host="127.0.0.1", port=port, secret_key="not-the-secret") as client:
        refused = await client.request("ping", echo="x")
        check("ipcx: a wrong secret gets the 403 JSON", refused.get("code") == 403 and "error" in refused, refused)

    old = ipc.Client(host="127.0.0.1", port=port, secret_key=secret)
    try:
        await exercise("ipc 2.1.1", old.request, guild)
    finally:
        await old.session.close()
    discovered = ipc.Client(host="127.0.0.1", multicast_port=port, secret_key=secret)
    try:
        await exercise("ipc 2.1.1 (discovered port)", discovered.request, guild)
    finally:
        await discovered.session.close()
    wrong = ipc.Client(host="127.0.0.1", port=port, secret_key="not-the-secret")
    try:
        refused = await wrong.request("ping", echo="x")
        check("ipc 2.1.1: a wrong secret gets the 403 JSON", refused.get("code") == 403 and "error" in refused, refused)
    finally:
        await wrong.session.close()
    print("all published-client checks passed", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
