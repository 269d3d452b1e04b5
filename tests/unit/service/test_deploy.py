"""``docker-compose.yml`` and ``deploy/``, checked by parsing (no Docker engine runs here)."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from common.settings import Settings
from common.storage.s3 import LIFECYCLE_RULE
from exifq.cli import build_parser
from tests.support.stack import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
EXIFQ_SERVICES = ("api", "worker", "beat")


def test_the_services_are_all_there():
    assert set(SERVICES) == {
        *("redis", "rabbitmq", "minio", "minio-init", "clamav"),
        *EXIFQ_SERVICES,
    }
    assert SERVICES["clamav"]["image"].startswith("clamav/clamav")
    assert SERVICES["redis"]["image"].startswith("redis:7")
    assert SERVICES["minio"]["image"].startswith("minio/minio")
    assert SERVICES["rabbitmq"]["profiles"] == ["rabbitmq"]  # only on request


def test_redis_keeps_the_jobs_across_a_restart():
    command = SERVICES["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "everysec"
    assert "redis-data:/data" in SERVICES["redis"]["volumes"]


@pytest.mark.parametrize("name", EXIFQ_SERVICES)
def test_commands_exist_in_the_package(name):
    command = SERVICES[name]["command"]
    pyproject = (REPO / "pyproject.toml").read_text()
    assert command[0] == "exifq" and 'exifq = "exifq.cli:main"' in pyproject
    args = build_parser().parse_args(command[1:])
    assert args.command == name


@pytest.mark.parametrize("name", EXIFQ_SERVICES)
def test_environment_names_only_settings_that_exist(name):
    environment = SERVICES[name]["environment"]
    assert set(environment) <= set(Settings.model_fields)
    assert environment["STORAGE"] == "s3"
    assert environment["S3_ENDPOINT_URL"] == "http://minio:9000"
    assert environment["REDIS_URL"].startswith("redis://redis:6379")
    assert SERVICES[name]["build"]["dockerfile"] == "deploy/Dockerfile"


def test_api_runs_under_gunicorn_workers_scale_and_beat_is_single():
    assert "--bind" in SERVICES["api"]["command"]
    assert SERVICES["worker"]["deploy"]["replicas"] >= 2
    assert SERVICES["beat"]["deploy"]["replicas"] == 1
    grace = int(SERVICES["worker"]["stop_grace_period"].rstrip("s"))
    assert grace > Settings().TASK_TIME_LIMIT


def test_everything_waits_for_redis_and_the_bucket():
    for name in EXIFQ_SERVICES:
        depends = SERVICES[name]["depends_on"]
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["minio-init"]["condition"] == "service_completed_successfully"
    assert SERVICES["minio-init"]["depends_on"]["minio"]["condition"] == "service_healthy"


def test_minio_init_makes_the_bucket_with_the_same_one_day_rule():
    init = SERVICES["minio-init"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in init["volumes"]}
    script = (REPO / mounts[init["entrypoint"][-1]]).read_text()
    assert 'mc mb --ignore-existing "store/$S3_BUCKET"' in script
    assert 'mc ilm import "store/$S3_BUCKET" < /lifecycle.json' in script
    lifecycle = json.loads((REPO / mounts["/lifecycle.json"]).read_text())
    assert lifecycle["Rules"] == [LIFECYCLE_RULE]


def test_dockerfile_installs_the_package_and_runs_unprivileged():
    dockerfile = (REPO / "deploy/Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", dockerfile, re.M)
    for package in ("api", "common", "worker"):
        assert f"COPY {package} ./{package}" in dockerfile
    assert "RUN pip install ." in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
