"""``api.multipart`` parses what Werkzeug's parser parses, the same way, compiling nothing per
request."""

from __future__ import annotations

import io
import random
import re

import pytest
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser as WerkzeugParser

from api.multipart import FieldPart, FilePart, FormDataParser, parts

BREAKS = [b"\r\n", b"\n", b"\r"]


def _body(rng: random.Random, boundary: bytes) -> bytes:
    """A multipart body with random fields and files, line breaks, padding and epilogues."""
    parts = []
    for i in range(rng.randrange(0, 5)):
        brk = rng.choice(BREAKS) if rng.random() < 0.2 else b"\r\n"
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 3000)))
        if rng.random() < 0.3:  # content that looks like a boundary, but is not one
            data += b"\r\n--" + boundary[:-1] + b"x" + b"\r\n--" + boundary + b"zz"
        if rng.random() < 0.5:
            head = f'Content-Disposition: form-data; name="f{i}"; filename="a{i}.bin"'.encode()
            head += brk + b"Content-Type: application/octet-stream"
        else:
            head = f'Content-Disposition: form-data; name="field{i}"'.encode()
            data = data.decode("latin-1").encode()
        parts.append(head + brk + brk + data)
    space = b" \t" if rng.random() < 0.3 else b""
    preamble = rng.choice([b"", b"preamble text\r\n", b"\r\n"])
    body = preamble
    for part in parts:
        body += b"--" + boundary + space + b"\r\n" + part + b"\r\n"
    body += b"--" + boundary + b"--" + rng.choice([b"", b"\r\n", b"  \r\nepilogue"])
    return body


class Trickle(io.BytesIO):
    """A body whose reads return at most ``size`` bytes."""

    def __init__(self, data: bytes, size: int) -> None:
        super().__init__(data)
        self.size = size

    def read(self, n: int | None = -1) -> bytes:
        return super().read(self.size if n is None or n < 0 else min(n, self.size))


def _parse(parser_class, body: bytes, boundary: bytes, trickle: int | None = None, **limits):
    parser = parser_class(**limits)
    options = {"boundary": boundary.decode()}
    stream = Trickle(body, trickle) if trickle else io.BytesIO(body)
    _, form, files = parser.parse(stream, "multipart/form-data", len(body), options=options)
    return (
        list(form.items(multi=True)),
        [(k, f.filename, f.headers.to_wsgi_list(), f.read()) for k, f in files.items(multi=True)],
    )


@pytest.mark.parametrize("seed", range(300))
def test_bodies_parse_as_werkzeug_parses_them(seed):
    rng = random.Random(seed)
    boundary = rng.choice([b"b0undary", b"----WebKitFormBoundary7MA4YWxk", b"a.b+c(d)=e?f"])
    body = _body(rng, boundary)
    size = rng.choice([7, 64, 1024])
    ours = _parse(FormDataParser, body, boundary)
    theirs = _parse(WerkzeugParser, body, boundary)
    assert ours == theirs
    # Small reads: the boundary arrives in pieces, split at every place (compared with
    # Werkzeug reading the same pieces: with tiny reads its answer can differ from one read).
    trickled = _parse(WerkzeugParser, body, boundary, trickle=size)
    assert _parse(FormDataParser, body, boundary, trickle=size) == trickled


def test_the_limits_are_werkzeugs():
    boundary = b"xyz"
    body = b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n' + b"v" * 5000
    body += b"\r\n--xyz--\r\n"
    for parser_class in (FormDataParser, WerkzeugParser):
        with pytest.raises(RequestEntityTooLarge):
            _parse(parser_class, body, boundary, max_form_memory_size=1000)
    many = (
        b"".join(
            b'--xyz\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i
            for i in range(20)
        )
        + b"--xyz--\r\n"
    )
    for parser_class in (FormDataParser, WerkzeugParser):
        with pytest.raises(RequestEntityTooLarge):
            _parse(parser_class, many, boundary, max_form_parts=5)


def test_no_regular_expression_is_compiled_per_request(monkeypatch):
    boundary = b"q1"
    body = b'--q1\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--q1--\r\n'
    _parse(FormDataParser, body, boundary)  # the first request fills re's cache
    compiled = []
    real = re._compile

    def counting(pattern, flags):
        compiled.append(pattern)
        return real(pattern, flags)

    monkeypatch.setattr(re, "_compile", counting)
    re.purge()  # nothing cached: any expression compiled now shows up as a pattern
    for other in (b"zz9", b"other-boundary"):
        re.purge()
        compiled.clear()
        text = body.replace(b"q1", other)
        assert _parse(FormDataParser, text, other)[0] == [("a", "v")]
        assert not any(other in p for p in compiled if isinstance(p, bytes))


def _parts(body: bytes, boundary: bytes, trickle: int, max_file_bytes: int = 10**9) -> tuple:
    """What :func:`parts` yields for ``body``, read ``trickle`` bytes at a time."""
    found = list(
        parts(
            Trickle(body, trickle),
            boundary,
            max_form_memory_size=None,
            max_parts=None,
            max_file_bytes=max_file_bytes,
        )
    )
    fields = [(p.name, p.value) for p in found if isinstance(p, FieldPart)]
    files = [(p.name, p.filename, p.stream.read()) for p in found if isinstance(p, FilePart)]
    return fields, files


@pytest.mark.parametrize("seed", range(100))
def test_parts_as_they_arrive_are_the_forms_parts(seed):
    rng = random.Random(seed)
    boundary = rng.choice([b"b0undary", b"----WebKitFormBoundary7MA4YWxk", b"a.b+c(d)=e?f"])
    body = _body(rng, boundary)
    size = rng.choice([7, 64, 1024, 1 << 20])
    fields, files = _parse(WerkzeugParser, body, boundary, trickle=size)
    assert _parts(body, boundary, size) == (fields, [(k, n, d) for k, n, _, d in files])


def test_parts_keep_a_file_only_up_to_its_limit_and_refuse_a_body_cut_short():
    boundary = b"xyz"
    body = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big"\r\n\r\n'
    body += b"x" * 300_000 + b'\r\n--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nv'
    body += b"\r\n--xyz--\r\n"
    fields, files = _parts(body, boundary, 7000, max_file_bytes=1000)
    assert fields == [("a", "v")] and files == [("file", "big", b"x" * 1001)]
    for cut in (10, 200, len(body) - 3):
        with pytest.raises(BadRequest):
            _parts(body[:cut], boundary, 64)
