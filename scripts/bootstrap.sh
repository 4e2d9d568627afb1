#!/usr/bin/env bash
# Installs what eventkit needs on a Debian machine: system libraries (WeasyPrint's Pango, fonts,
# poppler, Chromium for browser tests) when missing, and a virtualenv in .venv with the package.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2
  poppler-utils chromium
)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # wait (up to 2 minutes) for another apt or dpkg run, e.g. unattended-upgrades, instead of failing
  APT_WAIT=(-o DPkg::Lock::Timeout=120)
  $SUDO apt-get "${APT_WAIT[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${APT_WAIT[@]}" install -y -qq --no-install-recommends \
    "${missing[@]}" python3-venv >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
echo "==> installing Python packages"
.venv/bin/python -m pip install -q --upgrade pip
# setuptools advises on every editable install of a flat layout that a folder named like the
# package may shadow it: here that folder is the package itself, so the advice is only noise
PYTHONWARNINGS="ignore:Editable installation" .venv/bin/python -m pip install -q -e ".[test]"
