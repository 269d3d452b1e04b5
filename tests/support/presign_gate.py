"""What S3 does with a presigned URL and moto's server (5.x) does not, in front of moto's app.

moto answers a presigned GET without checking its signature or its expiry
and ignores the ``response-content-*`` overrides. For a request whose query
carries ``X-Amz-Signature`` this WSGI middleware does what AWS documents
(https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html):
recomputes the SigV4 query signature with botocore (403
``SignatureDoesNotMatch``), refuses it once ``X-Amz-Date`` + ``X-Amz-Expires``
has passed by the real clock (403 ``AccessDenied``, "Request has expired"),
and answers with the ``Content-Disposition`` and ``Content-Type`` the URL
asks for. Other requests pass through untouched.
"""

from __future__ import annotations

import calendar
import time
from urllib.parse import parse_qsl, quote, urlencode

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

OVERRIDES = {"response-content-disposition": "Content-Disposition"}
OVERRIDES["response-content-type"] = "Content-Type"


def _error(start_response, code: str, message: str):
    body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
    start_response("403 Forbidden", [("Content-Type", "application/xml")])
    return [body]


class PresignedUrlGate:
    def __init__(self, app, secret_key: str = "testing", access_key: str = "testing") -> None:
        self.app = app
        self.credentials = Credentials(access_key, secret_key)

    def _signature(self, environ: dict, params: list[tuple[str, str]]) -> str:
        fields = dict(params)
        host = environ["HTTP_HOST"]
        path = environ.get("RAW_URI", "").split("?")[0] or quote(environ["PATH_INFO"])
        rest = urlencode([(k, v) for k, v in params if k != "X-Amz-Signature"], quote_via=quote)
        region = fields["X-Amz-Credential"].split("/")[2]
        auth = S3SigV4QueryAuth(self.credentials, "s3", region, int(fields["X-Amz-Expires"]))
        request = AWSRequest("GET", f"http://{host}{path}?{rest}", headers={"host": host})
        request.context["timestamp"] = fields["X-Amz-Date"]
        canonical = auth.canonical_request(request)
        return auth.signature(auth.string_to_sign(request, canonical), request)

    def __call__(self, environ, start_response):
        params = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        fields = dict(params)
        if "X-Amz-Signature" not in fields:
            return self.app(environ, start_response)
        if self._signature(environ, params) != fields["X-Amz-Signature"]:
            return _error(start_response, "SignatureDoesNotMatch", "The signature is wrong")
        signed_at = calendar.timegm(time.strptime(fields["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
        if time.time() > signed_at + int(fields["X-Amz-Expires"]):
            return _error(start_response, "AccessDenied", "Request has expired")
        wanted = {OVERRIDES[k]: v for k, v in fields.items() if k in OVERRIDES}

        def start(status, headers, exc_info=None):
            kept = [(k, v) for k, v in headers if k.title() not in wanted]
            return start_response(status, [*kept, *wanted.items()], exc_info)

        return self.app(environ, start)
