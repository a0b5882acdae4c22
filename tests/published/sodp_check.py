"""Acceptance of the bot's /live stream with the unmodified published SODP client
(`sodp-client==0.2.2` from PyPI), as a community dashboard would use it.

    python sodp_check.py <ws url> <token> <guild id> <server label> <member id> <joining player id>

Connects with the token, watches `<guild>.<label>.players` and `.server`, prints `watching`
once both have their snapshot (the driver then makes the player join in the game), waits for
the DELTA that adds the player, binds its own presence on `.viewers` and sees it there, and
checks that `state.set` is refused and changes nothing. Exits 0 only if everything held; on a
failure it says which step failed and exits 1.
"""

import asyncio
import sys

from sodp import SodpClient

WAIT = 30.0


def fail(step, detail):
    print(f"FAILED: {step}: {detail}", flush=True)
    sys.exit(1)


async def until(step, condition):
    """Waits until `condition()` holds, up to WAIT seconds; the client's callbacks run meanwhile."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not condition():
        if loop.time() > deadline:
            fail(step, f"not within {WAIT} s")
        await asyncio.sleep(0.05)


async def main(url, token, guild, label, member, joining):
    players_key = f"{guild}.{label}.players"
    server_key = f"{guild}.{label}.server"
    viewers_key = f"{guild}.{label}.viewers"
    seen = {players_key: [], server_key: [], viewers_key: []}

    def recorder(key):
        return lambda value, meta: seen[key].append((value, meta))

    client = SodpClient(url, token=token, reconnect=False)
    try:
        await asyncio.wait_for(client.ready, WAIT)
    except asyncio.TimeoutError:
        fail("authenticate", "no AUTH_OK")
    for capability in ("resume", "multi_watch", "rate_limit_writes", "rate_limit_watches",
                       "backpressure_limit"):
        if capability not in client.capabilities:
            fail("hello", f"no capability {capability!r} in {client.capabilities}")

    client.watch(players_key, recorder(players_key))
    client.watch(server_key, recorder(server_key))
    await until("snapshots", lambda: seen[players_key] and seen[server_key])
    players, meta = seen[players_key][0]
    if meta.source != "init" or not isinstance(players, dict):
        fail("players snapshot", f"{meta}: {players!r}")
    if str(joining) in players:
        fail("players snapshot", f"player {joining} is there before joining")
    server, _ = seen[server_key][0]
    if not isinstance(server, dict):
        fail("server snapshot", repr(server))

    print("watching", flush=True)
    await until("the join", lambda: str(joining) in (client.get(players_key) or {}))
    joined = [m for v, m in seen[players_key] if str(joining) in v]
    if joined[0].source != "delta":
        fail("the join", f"arrived as {joined[0]}, not as a delta")

    client.watch(viewers_key, recorder(viewers_key))
    await until("viewers snapshot", lambda: seen[viewers_key])
    try:
        await client.presence(viewers_key, f"/{member}", {"client": "sodp-client 0.2.2"})
    except Exception as e:  # the client raises RuntimeError for success=false
        fail("presence", e)
    await until("own presence", lambda: str(member) in (client.get(viewers_key) or {}))

    before = client.get(players_key)
    try:
        await client.set(players_key, {})
        fail("state.set", "a client write was accepted")
    except RuntimeError:
        pass
    # A refused write sends no DELTA: the replica is what it was.
    if client.get(players_key) != before or not before:
        fail("state.set", "the replica changed after a refused write")

    client.close()
    print("ok", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 7:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    url, token, guild, label, member, joining = sys.argv[1:]
    asyncio.run(main(url, token, guild, label, int(member), int(joining)))
