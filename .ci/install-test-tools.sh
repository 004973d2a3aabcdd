#!/usr/bin/env bash
# What the test suite uses beyond npm, from Debian's packages (run as root): the example
# service's Python packages (PyPI cannot be reached from these machines) and promtool, which
# checks the --metrics file. Each test that needs one skips, saying so, where it is missing.
set -euo pipefail
need=()
/usr/bin/python3 -c 'import fastapi, multipart, uvicorn' 2> /dev/null ||
  need+=(python3-fastapi python3-multipart python3-uvicorn)
command -v promtool > /dev/null || need+=(prometheus)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${need[@]}"
