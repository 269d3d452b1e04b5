"""The access log's values are escaped (``api.accesslog``), headers too, in gunicorn's own
logger: a format that logs a header cannot be forged through it either."""

from __future__ import annotations

import datetime
import logging
from types import SimpleNamespace

from gunicorn.config import Config

from api.accesslog import AccessLogger, escape
from exifq.cli.serve import ACCESS_LOGGER, api_argv


def test_escape_writes_controls_backslashes_and_quotes_visibly():
    assert escape('a\nb\x00c\x1b[1m\x7f\x85"\\é') == 'a\\x0ab\\x00c\\x1b[1m\\x7f\\x85\\"\\\\é'


def test_headers_and_paths_are_escaped_in_gunicorn_s_logger(caplog):
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", '"%(U)s" "%({user-agent}i)s" "%({x-missing}i)s"')
    logger = AccessLogger(cfg)
    logger.access_log.propagate = True  # let caplog see it
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/x", "SERVER_PROTOCOL": "HTTP/1.1"}
    environ["PATH_INFO"] = "/a\nforged line"
    request = SimpleNamespace(headers=[("User-Agent", "evil\x1b[2J\r\nX: y")])
    response = SimpleNamespace(status="200 OK", sent=0, headers=[])
    with caplog.at_level(logging.INFO, logger="gunicorn.access"):
        logger.access(response, request, environ, datetime.timedelta(seconds=0))
    (record,) = caplog.records
    assert record.getMessage() == '"/a\\x0aforged line" "evil\\x1b[2J\\x0d\\x0aX: y" "-"'


def test_exifq_api_runs_gunicorn_with_the_escaping_logger():
    argv = api_argv("127.0.0.1:8000", 1, 1)
    assert argv[argv.index("--logger-class") + 1] == ACCESS_LOGGER == "api.accesslog.AccessLogger"
