"""The URL loader against real HTTP servers on loopback: no mocks of the HTTP layer.

Every SSRF case has a *sentinel*: a server on the forbidden address that counts
the connections it accepts; it must count none. The resolver is replaced only
in the DNS tests (rebinding, a stalled lookup).
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from common.errors import ExifqError, Timeout, TooLarge, UrlFetchFailed, UrlForbidden
from common.fetch import Fetched, FetchPolicy, fetch_url

App = Callable[[BaseHTTPRequestHandler], None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self.server.requests.append((self.path, dict(self.headers)))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.server.app(self)  # (the client may hang up on us, as it should)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    """A threaded HTTP server that counts accepted connections and records requests."""

    daemon_threads = True

    def __init__(self, app: App, host: str, port: int, tls: ssl.SSLContext | None = None) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.app = app
        self.tls = tls
        self.connections = 0
        self.requests: list[tuple[str, dict[str, str]]] = []
        super().__init__((host, port), _Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True).start()

    def server_bind(self) -> None:  # skip HTTPServer's reverse DNS lookup of the address
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        self.connections += 1
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def url(self, path: str = "/", host: str | None = None, scheme: str = "http") -> str:
        address = self.server_address[0]
        host = host or (f"[{address}]" if ":" in address else address)
        return f"{scheme}://{host}:{self.port}{path}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[..., _Server]]:
    """``serve(app, host="127.0.0.1", port=0, tls=None)`` starts a server, closed after the test."""
    servers: list[_Server] = []

    def start(app: App, host: str = "127.0.0.1", port: int = 0, tls=None) -> _Server:
        servers.append(_Server(app, host, port, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


class Sentinel:
    """Servers on 127.0.0.1:P and [::1]:P (same P): where a forbidden URL would land.

    (On a machine without IPv6 loopback only the first: nothing can reach ``[::1]`` there.)
    """

    def __init__(self, serve: Callable[..., _Server]) -> None:
        self.servers = [serve(answer(b"you should not see this"))]
        self.port = self.servers[0].port
        if not has_ipv6_loopback():
            return
        for _ in range(50):
            try:
                self.servers.append(serve(answer(b"you should not see this"), "::1", self.port))
                return
            except OSError:  # the port is taken on ::1: move both to another
                self.servers = [serve(answer(b"you should not see this"))]
                self.port = self.servers[0].port
        raise RuntimeError("no port free on both 127.0.0.1 and ::1")

    @property
    def connections(self) -> int:
        return sum(server.connections for server in self.servers)


@pytest.fixture
def sentinel(serve: Callable[..., _Server]) -> Sentinel:
    return Sentinel(serve)


# --- server behaviours


def answer(
    body: bytes, status: int = 200, headers: dict[str, str] | None = None, length: bool = True
) -> App:
    """Answer ``body``; without ``length`` it is sent chunked."""

    def app(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if length:
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for start in range(0, len(body), 1000):
            piece = body[start : start + 1000]
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        handler.wfile.write(b"0\r\n\r\n")

    return app


def raw(data: bytes) -> App:
    """Write ``data`` as the whole response and close (HTTP/1.0 style, body ends at close)."""

    def app(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(data)
        handler.close_connection = True

    return app


def redirect(location: str, status: int = 302) -> App:
    return answer(b"", status, {"Location": location})


def drip(head: bytes, then: bytes, every: float = 0.1) -> App:
    """Send ``head`` at once, then ``then`` one byte every ``every`` seconds."""

    def app(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(head)
        for byte in then:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(every)

    return app


def silent(handler: BaseHTTPRequestHandler) -> None:
    """Read the request and never answer; return once the client hangs up."""
    handler.connection.settimeout(30)
    handler.rfile.read(1)


def strict(*servers: _Server, **limits: object) -> FetchPolicy:
    """The production address policy, letting only ``servers`` through (URL_TEST_ALLOWLIST)."""
    endpoints = frozenset((s.server_address[0], s.port) for s in servers)
    return FetchPolicy(**{**DEFAULTS, **limits}, allowed_endpoints=endpoints)


def private(**limits: object) -> FetchPolicy:
    """ALLOW_PRIVATE_URLS on."""
    return FetchPolicy(**{**DEFAULTS, **limits}, allow_private=True)


DEFAULTS = {"timeout": 5.0, "max_bytes": 1_000_000, "max_redirects": 3}


# --- SSRF: forbidden hosts, written every way the resolver understands them

LOOPBACK_FORMS = [
    "localhost",
    "localhost.",
    "127.0.0.1",
    "127.0.0.1.",
    "127.1",
    "127.0.1",
    "0x7f.1",
    "0x7f000001",
    "2130706433",
    "017700000001",
    "0177.0.0.1",
    "0",
    "0.0.0.0",
    "[::1]",
    "[::]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:7f00:1]",
    "[::ffff:0.0.0.0]",
    "[::127.0.0.1]",
    "[2002:7f00:1::1]",
    "[64:ff9b::7f00:1]",
]

OTHER_FORBIDDEN = [
    "169.254.169.254",
    "[::ffff:169.254.169.254]",
    "[64:ff9b::a9fe:a9fe]",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.0.1",
    "100.64.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "240.0.0.1",
    "[fc00::1]",
    "[fd00:ec2::254]",
    "[fe80::1]",
    "[ff02::1]",
    "[fec0::1]",
    "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
]


@pytest.mark.parametrize("host", LOOPBACK_FORMS + OTHER_FORBIDDEN)
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_forbidden_host_is_refused_before_connecting(
    host: str, scheme: str, sentinel: Sentinel
) -> None:
    with pytest.raises(UrlForbidden, match="not a public address"):
        fetch_url(f"{scheme}://{host}:{sentinel.port}/photo.jpg", strict())
    assert sentinel.connections == 0


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{port}/x.jpg",
        "http://localhost:{port}/x.jpg",
        "http://[::1]:{port}/x.jpg",
        "http://2130706433:{port}/x.jpg",
        "http://[::ffff:127.0.0.1]:{port}/x.jpg",
        "http://0:{port}/x.jpg",
        "https://127.1:{port}/x.jpg",
        "//127.0.0.1:{port}/x.jpg",  # scheme-relative
    ],
)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_from_an_allowed_server_to_a_forbidden_one_is_refused(
    location: str, status: int, serve, sentinel: Sentinel
) -> None:
    allowed = serve(redirect(location.format(port=sentinel.port), status))
    with pytest.raises(UrlForbidden):
        fetch_url(allowed.url("/start.jpg"), strict(allowed))
    assert len(allowed.requests) == 1
    assert sentinel.connections == 0


def test_allowed_endpoint_is_fetched_with_the_address_check_on(serve) -> None:
    allowed = serve(answer(b"JPEG bytes", headers={"Content-Type": "image/jpeg"}))
    fetched = fetch_url(allowed.url("/a.jpg"), strict(allowed))
    assert fetched == Fetched(b"JPEG bytes", "a.jpg", "image/jpeg", allowed.url("/a.jpg"))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/x.jpg",
        "gopher://127.0.0.1:70/_GET%20/",
        "dict://127.0.0.1:11211/stat",
        "data:image/png;base64,iVBORw0KGgo=",
        "javascript:alert(1)",
        "//127.0.0.1/x.jpg",
        "127.0.0.1/x.jpg",
        "http:///x.jpg",
        "http://",
        "",
        "http://user:secret@127.0.0.1:{port}/x.jpg",
        "http://example.com@127.0.0.1:{port}/x.jpg",
        "http://127.0.0.1:{port}\\@example.com/x.jpg",
        "http://127.0.0.1:{port}/a b.jpg",
        "http://127.0.0.1:{port}/x.jpg\r\nX-Injected: 1",
        "http://127.0.0.1:0/x.jpg",
        "http://127.0.0.1:99999/x.jpg",
        "http://127.0.0.1:{port}/" + "a" * 9000,
    ],
)
def test_other_schemes_user_info_and_malformed_urls_are_refused(
    url: str, sentinel: Sentinel
) -> None:
    with pytest.raises(UrlForbidden):
        fetch_url(url.format(port=sentinel.port), private())
    assert sentinel.connections == 0


@pytest.mark.parametrize("location", ["file:///etc/passwd", "gopher://127.0.0.1:70/_x"])
def test_redirect_to_another_scheme_is_refused(location: str, serve) -> None:
    allowed = serve(redirect(location))
    with pytest.raises(UrlForbidden, match="only http and https"):
        fetch_url(allowed.url("/a.jpg"), private())


# --- DNS: resolved once, the checked address connected to


@pytest.fixture
def fake_dns(monkeypatch) -> Callable[[str, list[list[str]]], list[str]]:
    """``fake_dns(name, [[first answer], [later answers]...])``: what getaddrinfo answers
    for ``name`` on each call (the last answer repeats); returns the list of calls."""
    real_getaddrinfo = socket.getaddrinfo
    calls: list[str] = []

    def install(name: str, answers: list[list[str]]) -> list[str]:
        def getaddrinfo(host, port, *args, **kwargs):
            if host != name:
                return real_getaddrinfo(host, port, *args, **kwargs)
            calls.append(host)
            ips = answers[min(len(calls), len(answers)) - 1]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in ips]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return calls

    return install


def test_dns_rebinding_cannot_move_the_connection(serve, fake_dns) -> None:
    allowed = serve(answer(b"the checked server"))
    rebound = serve(answer(b"the rebound server"), "127.0.0.2", allowed.port)
    calls = fake_dns("images.test", [["127.0.0.1"], ["127.0.0.2"]])
    fetched = fetch_url(f"http://images.test:{allowed.port}/a.jpg", strict(allowed))
    assert fetched.data == b"the checked server"
    assert calls == ["images.test"]  # resolved once: urllib3 was handed the address
    assert allowed.requests[0][1]["Host"] == f"images.test:{allowed.port}"
    assert rebound.connections == 0


def test_every_resolved_address_is_checked(serve, fake_dns) -> None:
    allowed = serve(answer(b"the checked server"))
    other = serve(answer(b"a forbidden server"), "127.0.0.2", allowed.port)
    fake_dns("images.test", [["127.0.0.1", "127.0.0.2"]])
    with pytest.raises(UrlForbidden, match=r"images\.test resolves to 127\.0\.0\.2"):
        fetch_url(f"http://images.test:{allowed.port}/a.jpg", strict(allowed))
    assert allowed.connections == other.connections == 0


def test_a_stalled_lookup_times_out(monkeypatch) -> None:
    real_getaddrinfo = socket.getaddrinfo

    def stalled(host, *args, **kwargs):
        if host == "stalled.test":
            time.sleep(5)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", stalled)
    started = time.monotonic()
    with pytest.raises(Timeout):
        fetch_url("http://stalled.test/a.jpg", private(timeout=0.5))
    assert time.monotonic() - started < 4  # well before the lookup would have finished


def test_an_unknown_host_fails(fake_dns) -> None:
    fake_dns("nowhere.test", [[]])
    with pytest.raises(UrlFetchFailed, match="cannot resolve"):
        fetch_url("http://nowhere.test/a.jpg", private())


# --- redirects


def hops(handler: BaseHTTPRequestHandler) -> None:
    """``/hop/N?sig=...`` redirects (relatively) to ``/hop/N-1``; ``/hop/0`` is the image."""
    n = int(handler.path.split("?")[0].rsplit("/", 1)[1])
    if n == 0:
        answer(b"arrived")(handler)
    else:
        redirect(f"/hop/{n - 1}?sig=token{n}")(handler)


def test_redirects_up_to_the_limit_are_followed(serve) -> None:
    server = serve(hops)
    fetched = fetch_url(server.url("/hop/3?sig=first"), strict(server, max_redirects=3))
    assert fetched.data == b"arrived"
    assert fetched.final_url == server.url("/hop/0")
    assert fetched.name == "3"  # from the URL asked for
    assert [path for path, _ in server.requests] == [
        "/hop/3?sig=first",
        "/hop/2?sig=token3",
        "/hop/1?sig=token2",
        "/hop/0?sig=token1",
    ]


@pytest.mark.parametrize("limit", [0, 1, 3])
def test_one_redirect_too_many_fails(limit: int, serve) -> None:
    server = serve(hops)
    with pytest.raises(UrlFetchFailed, match=f"more than {limit} redirects"):
        fetch_url(server.url(f"/hop/{limit + 1}"), strict(server, max_redirects=limit))
    assert len(server.requests) == limit + 1


def test_a_redirect_loop_fails(serve) -> None:
    server = serve(redirect("/loop.jpg"))
    with pytest.raises(UrlFetchFailed, match="redirects"):
        fetch_url(server.url("/loop.jpg"), private(max_redirects=5))
    assert len(server.requests) == 6


def test_a_redirect_without_location_fails(serve) -> None:
    server = serve(answer(b"", 302))
    with pytest.raises(UrlFetchFailed, match="without a Location"):
        fetch_url(server.url("/a.jpg"), private())


# --- the byte cap

CAP = 10_000
PAYLOAD = os.urandom(CAP)


@pytest.mark.parametrize(
    "app",
    [
        answer(PAYLOAD + b"!"),  # Content-Length over the cap
        answer(PAYLOAD + b"!", length=False),  # chunked
        raw(b"HTTP/1.0 200 OK\r\n\r\n" + PAYLOAD + b"!"),  # until close, no length
        raw(b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n" + PAYLOAD),
    ],
    ids=["content-length", "chunked", "until-close", "huge-declared"],
)
def test_a_body_over_max_bytes_is_too_large(app: App, serve) -> None:
    server = serve(app)
    with pytest.raises(TooLarge):
        fetch_url(server.url("/big.jpg"), private(max_bytes=CAP))


@pytest.mark.parametrize(
    "app",
    [answer(PAYLOAD), answer(PAYLOAD, length=False), raw(b"HTTP/1.0 200 OK\r\n\r\n" + PAYLOAD)],
    ids=["content-length", "chunked", "until-close"],
)
def test_a_body_of_exactly_max_bytes_is_fetched_whole(app: App, serve) -> None:
    server = serve(app)
    assert fetch_url(server.url("/big.jpg"), private(max_bytes=CAP)).data == PAYLOAD


def test_a_body_shorter_than_its_content_length_fails(serve) -> None:
    server = serve(raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"))
    with pytest.raises(UrlFetchFailed):
        fetch_url(server.url("/a.jpg"), private())


# --- the overall timeout

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"


@pytest.mark.parametrize(
    "app",
    [
        drip(HEAD, b"x" * 1000),  # every read gets a byte well within any per-read timeout
        drip(b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"y" * 1000),  # the headers drip
        silent,
    ],
    ids=["body-drip", "header-drip", "silent"],
)
def test_a_slow_server_times_out_at_the_fetch_timeout(app: App, serve) -> None:
    server = serve(app)
    started = time.monotonic()
    with pytest.raises(Timeout):
        fetch_url(server.url("/slow.jpg"), private(timeout=1.0))
    assert time.monotonic() - started < 4  # a hang guard: the drip would last 100 s


def test_the_timeout_covers_all_redirects_together(serve) -> None:
    def slow_hop(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(0.3)
        redirect("/again.jpg")(handler)

    server = serve(slow_hop)
    with pytest.raises(Timeout):
        fetch_url(server.url("/a.jpg"), private(timeout=1.0, max_redirects=20))
    assert len(server.requests) < 8


# --- HTTP and connection failures


@pytest.mark.parametrize("status", [400, 403, 404, 410, 500, 502, 503])
def test_an_error_status_fails(status: int, serve) -> None:
    server = serve(answer(b"nope", status))
    with pytest.raises(UrlFetchFailed, match=f"HTTP {status}"):
        fetch_url(server.url("/a.jpg"), private())


def test_a_refused_connection_fails() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    policy = FetchPolicy(5, 100, 0, allowed_endpoints=frozenset({("127.0.0.1", port)}))
    with pytest.raises(UrlFetchFailed, match="refused"):
        fetch_url(f"http://127.0.0.1:{port}/a.jpg", policy)


def test_a_server_that_hangs_up_fails(serve) -> None:
    server = serve(raw(b""))
    with pytest.raises(UrlFetchFailed):
        fetch_url(server.url("/a.jpg"), private())


# --- with ALLOW_PRIVATE_URLS on: the bytes and a sane name


@pytest.mark.parametrize(
    ("path", "disposition", "name"),
    [
        ("/images/photo.jpg?size=large", None, "photo.jpg"),
        ("/images/my%20holiday%20%C3%A9t%C3%A9.jpg", None, "my holiday été.jpg"),
        ("/get?id=7", 'attachment; filename="report 7.jpg"', "report 7.jpg"),
        ("/get", "attachment; filename*=UTF-8''na%C3%AFve%20caf%C3%A9.png", "naïve café.png"),
        ("/get", 'attachment; filename="../../etc/passwd"', "passwd"),
        ("/get", "attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd", "passwd"),
        ("/..%2F..%2Fetc%2Fpasswd", None, "passwd"),
        ("/a/%2E%2E/%2E%2E/.htaccess", None, "htaccess"),
        ("/", None, "download"),
        ("/%00%0D%0A.jpg", None, "_.jpg"),
    ],
)
def test_a_private_fetch_returns_the_bytes_and_a_sane_name(
    path: str, disposition: str | None, name: str, serve
) -> None:
    body = os.urandom(200_000)  # several reads
    headers = {"Content-Type": "image/jpeg"}
    if disposition:
        headers["Content-Disposition"] = disposition
    server = serve(answer(body, headers=headers))
    fetched = fetch_url(server.url(path), private())
    assert fetched.data == body
    assert fetched.name == name
    assert fetched.content_type == "image/jpeg"
    assert "?" not in fetched.final_url
    assert server.requests[0][0] == path
    assert server.requests[0][1]["Host"] == f"127.0.0.1:{server.port}"


def test_a_private_fetch_over_ipv6_loopback(serve) -> None:
    if not has_ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback")
    server = serve(answer(b"over v6"), "::1")
    assert fetch_url(server.url("/v6.jpg"), private()).data == b"over v6"
    assert server.requests[0][1]["Host"] == f"[::1]:{server.port}"


# --- https: connect to the checked address, verify the certificate for the host name


@pytest.fixture
def tls(monkeypatch, tmp_path: Path) -> Callable[[str], tuple[ssl.SSLContext, list]]:
    """``tls(name)``: a server context with a certificate for ``name`` from a test CA the
    client trusts (via OpenSSL's SSL_CERT_FILE), and the list of SNI names it receives."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))

    def make(name: str) -> tuple[ssl.SSLContext, list]:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(name).configure_cert(context)
        names: list = []
        context.sni_callback = lambda sock, server_name, ctx: names.append(server_name)
        return context, names

    return make


def test_https_sends_sni_and_verifies_the_host_name(serve, tls) -> None:
    context, sni = tls("localhost")
    server = serve(answer(b"over tls"), tls=context)
    fetched = fetch_url(server.url("/a.jpg", host="localhost", scheme="https"), strict(server))
    assert fetched.data == b"over tls"
    assert sni == ["localhost"]
    assert server.requests[0][1]["Host"] == f"localhost:{server.port}"


def test_https_with_a_certificate_for_another_name_fails(serve, tls) -> None:
    context, _ = tls("images.example")
    server = serve(answer(b"over tls"), tls=context)
    with pytest.raises(UrlFetchFailed, match="certificate"):
        fetch_url(server.url("/a.jpg", host="localhost", scheme="https"), strict(server))
    assert server.requests == []


def test_https_from_an_untrusted_ca_fails(serve, tls, monkeypatch) -> None:
    context, _ = tls("localhost")
    monkeypatch.delenv("SSL_CERT_FILE")
    server = serve(answer(b"over tls"), tls=context)
    with pytest.raises(UrlFetchFailed, match="certificate"):
        fetch_url(server.url("/a.jpg", host="localhost", scheme="https"), strict(server))
    assert server.requests == []


# --- logs and messages never hold the query string

SECRET = "s3cr3t-token"


def _fails(url: str, policy: FetchPolicy) -> str:
    """Fetch, expecting an error; return everything the error would put in a log."""
    with pytest.raises(ExifqError) as caught:
        fetch_url(url, policy)
    return "".join(traceback.format_exception(caught.value))


def test_query_strings_stay_out_of_logs_and_errors(serve, caplog) -> None:
    caplog.set_level("DEBUG")
    ok = serve(answer(b"fine"))
    moved = serve(redirect(f"/next.jpg?token={SECRET}"))
    bad_headers = serve(raw(b"HTTP/1.1 200 OK\r\n: no name\r\nContent-Length: 2\r\n\r\nok"))
    fetched = fetch_url(ok.url(f"/a.jpg?token={SECRET}"), private())
    fetch_url(bad_headers.url(f"/a.jpg?token={SECRET}"), private())
    reports = [
        _fails(moved.url(f"/a.jpg?token={SECRET}"), private(max_redirects=0)),
        _fails(serve(answer(b"", 404)).url(f"/a.jpg?token={SECRET}"), private()),
        _fails(ok.url(f"/a.jpg?token={SECRET}"), private(max_bytes=1)),
        _fails(serve(silent).url(f"/a.jpg?token={SECRET}"), private(timeout=0.5)),
        _fails(f"http://127.0.0.1:{ok.port}/a.jpg?token={SECRET}", strict()),
    ]
    assert any(r.name == "urllib3.connection" for r in caplog.records)  # the header warning
    assert SECRET not in caplog.text
    assert SECRET not in fetched.final_url
    for report in reports:
        assert SECRET not in report


@pytest.mark.parametrize(
    "response",
    [
        b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
        b"hello",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nxxx",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 200 + b"\r\n",
        b"HTTP/1.1 200 OK\r\nX: " + b"y" * 70_000 + b"\r\n\r\n",
        b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n",
    ],
    ids=[
        "not-http",
        "http-0.9",
        "bad-status",
        "two-lengths",
        "bad-chunk",
        "200-headers",
        "70k-header",
        "bad-location",
    ],
)
def test_a_hostile_response_is_a_clear_error(response: bytes, serve) -> None:
    server = serve(raw(response))
    with pytest.raises((UrlFetchFailed, UrlForbidden)) as caught:
        fetch_url(server.url("/a.jpg"), private())
    assert "\n" not in caught.value.message


def test_the_next_resolved_address_is_tried_when_one_refuses(serve, fake_dns) -> None:
    server = serve(answer(b"second address"))
    fake_dns("multi.test", [["127.0.0.3", "127.0.0.1"]])  # nothing listens on 127.0.0.3
    fetched = fetch_url(f"http://multi.test:{server.port}/a.jpg", private())
    assert fetched.data == b"second address"
