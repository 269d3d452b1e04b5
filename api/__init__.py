"""The Flask API: ``create_app()`` builds it (gunicorn runs ``api:create_app()``).

Blueprints, one concern each: ``jobs`` (submit and status routes for every
registered operation, ``common.operations``), ``downloads``,
``batch`` (many inputs, one UUID), ``matching`` (Ximilar-shaped similarity
jobs), ``distance``, ``limits`` (the sizes accepted), ``health``, ``openapi``;
``/metrics`` is added by ``metrics``; ``ratelimit`` limits every other route.
Dependencies come from settings unless a test injects them. Importing this
package reads no settings and builds no Celery app (the sender builds one on
its first send).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from api import batch, distance, downloads, health, jobs, limits, matching, openapi, web
from api.compat import register as register_adapters
from api.errors import register_error_handlers
from api.jsonbody import StrictJSONProvider
from api.metrics import init_metrics
from api.multipart import Request
from api.ratelimit import init_rate_limit
from api.services import CeleryTasks, Services, job_enqueuer
from common import operations
from common.clock import Clock, SystemClock
from common.jobs import JobStore
from common.keys import check_rate_limit
from common.redis_client import redis_client
from common.settings import Settings, load_settings
from common.storage import Storage, get_storage
from common.storage.breaker import Breaker

log = logging.getLogger(__name__)

# Room for the multipart framing around a file of MAX_UPLOAD_BYTES; the file
# itself is then checked against the exact limit.
MULTIPART_ALLOWANCE = 64 * 1024


def create_app(
    settings: Settings | None = None,
    *,
    jobs_store: JobStore | None = None,
    storage: Storage | None = None,
    enqueue: Callable[[str], None] | None = None,
    send_task: Callable[[str, list], None] | None = None,
    clock: Clock | None = None,
) -> Flask:
    """The API for ``settings`` (read from the environment when omitted); connects lazily."""
    settings = settings or load_settings()
    if settings.RATE_LIMIT:
        check_rate_limit(settings.RATE_LIMIT)
    operations.load_modules(settings.OPERATION_MODULES)
    clock = clock or SystemClock()
    tasks = CeleryTasks(settings)
    # The job's record and its task in one Redis transaction, unless a test sends its own way.
    task_commands = tasks.commands if enqueue is None and send_task is None else None
    send_task = send_task or tasks.send
    svc = Services(
        settings=settings,
        jobs=jobs_store
        or JobStore(
            redis_client(settings),
            prefix=settings.REDIS_KEY_PREFIX,
            ttl=settings.RESULT_TTL_SECONDS,
            clock=clock,
        ),
        storage=storage or Breaker(get_storage(settings, timeout=settings.API_STORAGE_TIMEOUT)),
        enqueue=enqueue or job_enqueuer(send_task),
        clock=clock,
        send_task=send_task,
        task_commands=task_commands,
    )
    app = Flask(__name__, static_folder=None)
    app.request_class = Request  # multipart parsed without per-request regular expressions
    app.json = StrictJSONProvider(app)
    largest = max(settings.MAX_UPLOAD_BYTES, settings.MAX_VIDEO_BYTES)
    app.config["MAX_CONTENT_LENGTH"] = largest + MULTIPART_ALLOWANCE
    app.json.sort_keys = False
    app.extensions["exifq"] = svc
    for blueprint in (distance, batch, limits, matching, downloads, health, openapi, web):
        app.register_blueprint(blueprint.bp)
    app.register_blueprint(jobs.blueprint(operations.all_operations()))
    register_adapters(app, settings)
    register_error_handlers(app, settings.MAX_UPLOAD_BYTES)
    init_metrics(app, svc)
    init_rate_limit(app, svc)
    if settings.PROXY_HOPS:  # the client's address from X-Forwarded-For (rate limits, logs)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.PROXY_HOPS)
    if not settings.api_keys:
        log.warning("API_KEYS is empty: the API is open unless managed keys exist (exifq keys)")
    return app
