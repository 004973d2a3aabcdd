#!/usr/bin/env bash
# The example service's packages: FastAPI, python-multipart (FastAPI's form parser) and uvicorn.
# From PyPI, pinned in requirements.txt, into a virtual environment beside this script (.venv),
# which the example's test uses. Where PyPI cannot be reached and this runs as root on Debian,
# the same packages come from Debian for /usr/bin/python3 instead; the test uses whichever has
# them, and skips, saying so, where neither does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/.venv"
has() { [ -x "$1" ] && "$1" -c 'import fastapi, multipart, uvicorn' 2> /dev/null; }
if has "$venv/bin/python"; then exit 0; fi
if python3 -m venv "$venv" &&
  "$venv/bin/pip" install --quiet --disable-pip-version-check --retries 2 --timeout 20 \
    -r "$here/requirements.txt"; then
  exit 0
fi
rm -rf "$venv"
echo "install-deps.sh: PyPI could not be used; trying Debian's packages" >&2
if has /usr/bin/python3; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends python3-fastapi python3-multipart python3-uvicorn
else
  echo "install-deps.sh: not root: the example's test will skip" >&2
fi
