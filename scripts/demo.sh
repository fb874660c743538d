#!/usr/bin/env bash
# The main job of `make` until the transfer exists: the pipeline demo on a generated sample.
set -euo pipefail
echo "demo: pipeline not built yet"
