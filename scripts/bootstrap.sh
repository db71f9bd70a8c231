#!/usr/bin/env bash
# Sets up what tb_explain needs on a fresh machine, and is safe to run again:
#   - a virtual environment in .venv (override with VENV=...);
#   - TensorFlow, the CPU build unless an NVIDIA GPU answers, only when the
#     environment has no TensorFlow distribution yet (never a second copy);
#   - the package itself, non-editable, with its test extras;
#   - with --browser, Debian's chromium for the browser tests (apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${VENV:-.venv}
python=${PYTHON:-python3}
want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1

if [ ! -x "$venv/bin/python" ]; then
  echo "bootstrap: creating $venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
fi

extras=test
if ! "$venv/bin/python" -c "import tensorflow" >/dev/null 2>&1; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    extras="$extras,gpu"
  else
    extras="$extras,cpu"
  fi
  echo "bootstrap: installing TensorFlow ($extras)"
fi

echo "bootstrap: installing tb_explain[$extras] (non-editable)"
"$venv/bin/python" -m pip install -q --disable-pip-version-check ".[$extras]" \
  2>&1 | grep -v "is ignored: it is neither" || true
"$venv/bin/python" -c "import tb_explain" || {
  echo "bootstrap: tb_explain did not install" >&2
  exit 1
}

if [ "$want_browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  echo "bootstrap: installing Debian's chromium for the browser tests"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q chromium
fi
echo "bootstrap: ready"
