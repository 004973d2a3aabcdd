#!/usr/bin/env bash
# What the test suite uses beyond npm: the example service's Python packages (from PyPI into
# examples/python-fastapi/.venv; Debian's packages where PyPI cannot be reached) and, as root
# from Debian, promtool, which checks the --metrics file. Each test that needs one skips,
# saying so, where it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
examples/python-fastapi/install-deps.sh || echo "install-test-tools.sh: the example's packages were not installed" >&2
command -v promtool > /dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends prometheus
fi
