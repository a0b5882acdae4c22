#!/usr/bin/env bash
# Acceptance with the unmodified published clients: sets up the shared venv (setup-venv.sh),
# then runs the integration tests that drive those clients against the real binary, its fake
# Discord and the simulator (they are #[ignore]d in plain `cargo test`, which has no venv).
#
#   tests/published/run.sh                 # from the repository root
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$("$root/tests/published/setup-venv.sh" | tail -n 1)"
cd "$root"
PUBLISHED_VENV="$venv" cargo test --test it published_ -- --ignored --test-threads 1
