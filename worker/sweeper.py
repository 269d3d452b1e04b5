"""Delete stored objects older than the TTL, for stores without a lifecycle rule (Celery beat).

The S3 bucket's 1-day lifecycle rule does the same on its own schedule; the
local-directory backend and stores without lifecycle support rely on this.
"""

from __future__ import annotations

import logging

from common.jobs import STORAGE_PREFIXES
from common.storage import Storage

log = logging.getLogger(__name__)


def sweep(storage: Storage, now: float, ttl: float) -> int:
    """Delete every job object last written more than ``ttl`` seconds before ``now``; the count."""
    cutoff = now - ttl
    deleted = 0
    for prefix in STORAGE_PREFIXES:
        # Collect first: deleting while a listing is paged can skip keys on some stores.
        for key in list(storage.list_older_than(prefix, cutoff)):
            storage.delete(key)
            deleted += 1
    log.info("sweeper deleted %d expired objects", deleted)
    return deleted
