"""The SSRF-safe URL loader: ``fetch_url(url, FetchPolicy.from_settings(settings))``.

``urls`` parses and refuses URLs (``submitted`` applies what can be applied
at submission, without network I/O), ``resolver`` resolves a host once,
``addresses`` says which addresses are public, ``policy`` holds the limits and
the address check, ``deadline`` bounds the whole fetch, ``names`` makes the
file name safe, and ``client`` does the HTTP.
"""

from common.fetch.client import Fetched, fetch_url, post
from common.fetch.policy import FetchPolicy
from common.fetch.submitted import check_submitted_url

__all__ = ["FetchPolicy", "Fetched", "check_submitted_url", "fetch_url", "post"]
