#!/usr/bin/env bash
# Installs, builds and runs every test: unit (CTest/GoogleTest) then
# integration (pytest + scapy against real namespaces), one pass each.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
printf '\033[1m==> unit tests\033[0m\n'
ctest --test-dir build --output-on-failure -j2
printf '\033[1m==> integration tests\033[0m\n'
# Debian's python3: the pyenv one first on PATH cannot see scapy/pytest.
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration "$@"
