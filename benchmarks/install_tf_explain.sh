#!/usr/bin/env bash
# Installs tf-explain (and the opencv it imports) into a side folder, never into
# .venv, for benchmarks/attribution_speed.py --tf-explain-site:
#   bash benchmarks/install_tf_explain.sh /tmp/tf_explain_site
set -euo pipefail
site=${1:-/tmp/tf_explain_site}
python=${PYTHON:-.venv/bin/python}
"$python" -m pip install -q --no-deps --target "$site" tf-explain==0.3.1 \
  opencv-python-headless
echo "$site"
