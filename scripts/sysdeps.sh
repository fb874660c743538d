#!/usr/bin/env bash
# Install the Debian packages the build and the test suite need, only when missing.
# Idempotent: a second run installs nothing and makes no network call.
set -euo pipefail
pkgs=(rsync rdiff bats liburing-dev libxxhash-dev openssh-server openssh-client
      python3-venv python3-dev gcc make procps)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The interop peer must be upstream rsync 3.5.0 (protocol 32), which bookworm ships in -security.
rsync_version() { rsync --version 2>/dev/null | sed -n 1p || true; }
[[ "$(rsync_version)" == *"version 3.5."* ]] || missing+=(rsync)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "sysdeps: need root to install: ${missing[*]}" >&2; exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[[ "$(rsync_version)" == *"version 3.5."* ]] || {
  echo "sysdeps: upstream rsync 3.5.x is required, found: $(rsync_version)" >&2; exit 1; }
