#!/usr/bin/env bash
# The example service's packages, from Debian (these machines cannot reach PyPI): FastAPI,
# python-multipart (FastAPI's form parser) and uvicorn, for the system's /usr/bin/python3.
# Run as root; the test of the example skips, saying so, where they are missing.
set -euo pipefail
if /usr/bin/python3 -c 'import fastapi, multipart, uvicorn' 2>/dev/null; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends python3-fastapi python3-multipart python3-uvicorn
