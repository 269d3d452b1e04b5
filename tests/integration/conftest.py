"""Fixtures for the service: real Redis, moto's S3 server, worker and API subprocesses.

``stack`` is one running service (a worker with concurrency 2 and the API
under gunicorn) shared by the tests of a session; tests that kill or starve
components build their own with ``new_stack``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis

from tests.conftest import corpus_path
from tests.support.stack import RedisServer, S3Server, Stack, delete_prefix


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def new_stack(redis_server, s3_server, tmp_path_factory) -> Iterator[Callable[..., Stack]]:
    """Make a fresh stack (own key prefix and bucket); all are stopped at the end."""
    made: list[Stack] = []

    def make(s3_url: str | None = None, redis_url: str | None = None, **overrides: object) -> Stack:
        logs = tmp_path_factory.mktemp("logs")
        redis_url = redis_url or redis_server.url
        stack = Stack(redis_url, s3_url or s3_server.url, logs, overrides=overrides)
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.stop()
        with contextlib.suppress(redis.ConnectionError):  # a private Redis may be gone
            delete_prefix(stack.redis_url, stack.prefix)


@pytest.fixture(scope="session")
def image_server() -> Iterator[str]:
    """A loopback HTTP server serving the corpus (what URL jobs fetch); its base URL."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(corpus_path("")))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def stack(new_stack) -> Stack:
    """The shared service: one worker (concurrency 2) and the API."""
    service = new_stack()
    service.start_worker()
    service.api_url = service.start_api()
    return service


BROKERS = ("redis", "rabbitmq")


@pytest.fixture(scope="session")
def rabbitmq_node(tmp_path_factory):
    """Where private virtual hosts are made: ``None`` for the machine's RabbitMQ when it runs
    and lets us, else a node of our own for the session."""
    from tests.support.components import RabbitNode, machine_rabbitmq_usable

    if machine_rabbitmq_usable():
        yield None
        return
    node = RabbitNode(tmp_path_factory.mktemp("rabbitmq"))
    yield node
    node.kill()


@pytest.fixture(params=BROKERS)
def broker_settings(request) -> Iterator[dict[str, str]]:
    """Settings for each broker: Redis (``REDIS_URL``, the default) and RabbitMQ (a private
    virtual host, so no other stack's worker takes our messages)."""
    if request.param == "redis":
        yield {}
        return
    from tests.support.components import RabbitVhost

    vhost = RabbitVhost(request.getfixturevalue("rabbitmq_node"))
    yield {"BROKER_URL": vhost.url}
    vhost.delete()


@pytest.fixture()
def own_stacks(new_stack, broker_settings) -> Iterator[Callable[..., Stack]]:
    """``new_stack`` with the test's broker; its stacks stop when the test ends (before the
    broker goes)."""
    made: list[Stack] = []

    def make(**overrides: object) -> Stack:
        stack = new_stack(**{**broker_settings, **overrides})
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.stop()


def upload(path_or_bytes: Path | bytes, name: str = "image.jpg") -> dict:
    """``files=`` for requests: a multipart ``file`` field."""
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    return {"file": (name, io.BytesIO(data))}


# The drop-in adapters' stack (tests/integration/test_compat_*.py): every adapter on, and the
# seeds' own placeholder credentials configured as keys, so their snippets run unchanged.
COMPAT_KEYS = {
    "exiftools": "YOUR_API_KEY_HERE",
    "ximilar": "__API_TOKEN__",
    "imagekit": "your_private_api_key",
    "uploadcare": ("demopublickey", "demoprivatekey"),
    "cloudinary": ("874837483274837", "a676b67565c6767a6767d6767f676fe1"),
    "other": "another-client-key",
}


@pytest.fixture(scope="session")
def compat_stack(new_stack) -> Stack:
    """A service with every adapter on and keys set (one worker, the API)."""
    uploadcare, cloudinary = COMPAT_KEYS["uploadcare"], COMPAT_KEYS["cloudinary"]
    keys = [COMPAT_KEYS[n] for n in ("exiftools", "ximilar", "imagekit", "other")]
    service = new_stack(
        API_KEYS=",".join([*keys, uploadcare[1], cloudinary[1]]),
        COMPAT_ADAPTERS="all",
        COMPAT_UPLOADCARE_KEYS=":".join(uploadcare),
        COMPAT_CLOUDINARY_KEYS=":".join(cloudinary),
    )
    service.start_worker()
    service.api_url = service.start_api()
    return service
