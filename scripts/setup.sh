#!/usr/bin/env bash
# Installs what shuanglian needs to build and test on Debian 12, when missing.
# Safe to run again: it installs nothing that is already there.
set -euo pipefail
pkgs=(gcc g++ make cmake pkg-config git ca-certificates
      libzmq3-dev libczmq-dev libmsgpack-dev libsodium-dev libsqlite3-dev sqlite3
      valgrind procps clang libclang-rt-14-dev strace python3 faketime
      libmicrohttpd-dev curl libxlsxwriter-dev chromium chromium-driver python3-selenium
      python3-openpyxl
      fonts-wqy-microhei)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
