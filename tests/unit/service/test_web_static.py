"""``/`` and ``/docs`` and the files they load: served with the right content types, all from
this server (nothing fetched from another host, so both work with no network), and shipped in
the package."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest

from api.web import WEB_DIR

REPO = Path(__file__).resolve().parents[3]
TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
}
TYPES_DOCS = {**TYPES, ".png": "image/png"}
MAP_HOST = "www.openstreetmap.org"  # links a person may follow; never loaded by the page
XML_NAMESPACES = {"http://www.w3.org/2000/svg"}  # names, never fetched
URL = re.compile(r"""https?://[^\s"'`<>()\\]+""")
REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
IMPORT = re.compile(r"""(?:^|\s)(?:import|export)\b[^"'`;]*?\bfrom\s*["']([^"']+)["']""", re.M)


def _type(response) -> str:
    return response.headers["Content-Type"].split(";")[0].strip()


def _crawl(client) -> dict[str, str]:
    """Every file the page loads, from ``/`` through its links and its modules' imports."""
    seen: dict[str, str] = {}
    todo = ["/"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        response = client.get(path)
        assert response.status_code == 200, path
        expected = TYPES[PurePosixPath(path).suffix or ".html"]
        assert _type(response) == expected, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        text = response.get_data(as_text=True)
        seen[path] = text
        links = [ref for ref in REFERENCE.findall(text) if ref.startswith("/web/")]
        imports = [
            str(PurePosixPath(path).parent / ref).replace("/./", "/")
            for ref in IMPORT.findall(text)
            if path.endswith(".js")
        ]
        todo += links + [re.sub(r"/[^/]+/\.\./", "/", ref) for ref in imports]
    return seen


def test_the_page_and_every_file_it_loads_are_served_with_their_types(h):
    served = _crawl(h.client)
    files = [p for p in WEB_DIR.rglob("*") if p.is_file()]
    shipped = {f"/web/{p.relative_to(WEB_DIR).as_posix()}" for p in files}
    used = set(served) - {"/"} | {"/web/index.html"}  # index.html is served as /
    assert used == shipped  # every file is used; none is missing
    csp = h.client.get("/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp  # the browser itself refuses any other host


def test_nothing_the_page_serves_points_at_another_host_but_the_map_link(h):
    served = _crawl(h.client)
    for path, text in served.items():
        for url in URL.findall(text):
            if url in XML_NAMESPACES:
                continue
            assert urlsplit(url).hostname == MAP_HOST, f"{path} refers to {url}"
    assert any(MAP_HOST in text for text in served.values())


@pytest.mark.parametrize("path", ["/web/nope.js", "/web/../web.py", "/web/js/../../web.py"])
def test_anything_else_is_a_json_404(h, path):
    response = h.client.get(path)
    assert response.status_code == 404
    assert response.get_json()["success"] is False


def test_docs_is_swagger_ui_from_the_installed_package_pointed_at_the_spec(h):
    assert h.client.get("/docs").headers["Location"].endswith("/docs/")
    page = h.client.get("/docs/")
    assert page.status_code == 200 and _type(page) == "text/html"
    html = page.get_data(as_text=True)
    assert '"url": "/openapi.json"' in html
    assert '"validatorUrl": null' in html  # Swagger UI's default would call validator.swagger.io
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    references = REFERENCE.findall(html)
    assert references and all(ref.startswith("/docs/") for ref in references)
    for ref in references:
        response = h.client.get(ref)
        assert response.status_code == 200, ref
        assert _type(response) == TYPES_DOCS[PurePosixPath(ref).suffix], ref
        if ref.endswith(".css"):  # stylesheets load nothing from elsewhere (fonts, images)
            css = response.get_data(as_text=True)
            assert not re.search(r"@import|url\(\s*['\"]?https?:", css), ref


def test_the_page_ships_in_the_package():
    """``pyproject.toml``'s package data covers every file under ``api/web/``."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["api"]
    covered = {p for pattern in patterns for p in (REPO / "api").glob(pattern) if p.is_file()}
    assert covered == {p for p in WEB_DIR.rglob("*") if p.is_file()}
