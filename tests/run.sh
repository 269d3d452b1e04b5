#!/usr/bin/env bash
# Installs everything the tests need (ExifTool from Debian, the package with its
# test extras from PyPI), then runs ruff and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT="$SUDO apt-get -o DPkg::Lock::Timeout=600"
# Debian packages: ExifTool (the reference), redis-server and rabbitmq-server (the fault
# tests run private servers of their own; RabbitMQ is also a broker the tests run against).
for need in exiftool:libimage-exiftool-perl redis-server:redis-server \
            rabbitmqctl:rabbitmq-server; do
    if ! command -v "${need%%:*}" >/dev/null 2>&1 && [ ! -x "/usr/sbin/${need%%:*}" ]; then
        $APT install -y "${need#*:}" || { $APT update && $APT install -y "${need#*:}"; }
    fi
done
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m pytest "$@"
