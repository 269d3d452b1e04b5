#!/usr/bin/env bash
# Installs everything the tests need (ExifTool and ffmpeg from Debian, the package with its
# test extras from PyPI), then runs ruff and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v exiftool >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get install -y libimage-exiftool-perl \
        || { $SUDO apt-get update && $SUDO apt-get install -y libimage-exiftool-perl; }
fi
if ! command -v ffprobe >/dev/null 2>&1; then  # the reference for the video tests
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y ffmpeg \
        || { $SUDO apt-get update && $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y ffmpeg; }
fi
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m pytest "$@"
