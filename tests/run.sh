#!/usr/bin/env bash
# The test command (README, and .ci/run): set up what the suite needs on a fresh Debian machine, then
# run the whole suite. System packages are installed when missing and we are root; otherwise the tests
# that need them are skipped with a reason.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(socat umockdev systemd udev chromium postgresql)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "not installed (tests needing them will be skipped): ${missing[*]}"
  fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
