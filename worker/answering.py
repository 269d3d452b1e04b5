"""Answering a similarity job (``visual_hash``, ``remove_duplicates``, ``rank_images``).

The API keeps the request body at ``requests/{uuid}.json`` and fans out one
hash job per record (``common.batches``). The job store tells whoever finishes
the last record (``Finish.batch_done``), which sends ``exifq.answer``; that
task reads every record's hashes from the batch in one command, lets
``worker.matching`` build the Ximilar-shaped answer, stores it at
``results/{uuid}.json``, marks the batch finished and sends its webhook, if any. Running it twice
changes nothing: a finished batch is left alone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from common.batches import PLAIN, BatchStore, ItemState, answer_key, request_key
from common.storage import ObjectNotFound
from common.tasks import ANSWER_TASK
from common.webhook_queue import BATCH, Delivery
from worker import matching, webhooks
from worker.runtime import Runtime

log = logging.getLogger(__name__)

# How long one request for an answer stands before another may be sent (the
# API re-sends one when it finds a batch with every item done but no answer).
CLAIM_SECONDS = 60


def request_answer(
    batches: BatchStore, send_task: Callable[[str, list], None], batch_id: str
) -> bool:
    """Send the answer task for ``batch_id`` if it is a similarity job still unanswered."""
    batch = batches.get(batch_id)
    if batch is None or batch.kind == PLAIN or batch.finished or not batch.items_finished:
        return False
    if not batches.claim_answer(batch_id, CLAIM_SECONDS):
        return False
    send_task(ANSWER_TASK, [batch_id])
    return True


def _outcome(state: ItemState) -> matching.RecordOutcome:
    return matching.RecordOutcome(result=state.summary, error=state.error)


def answer(rt: Runtime, batch_id: str) -> str:
    """Answer similarity job ``batch_id``; what happened (``answered``, ``failed``, ...)."""
    batches = rt.batches
    batch = batches.get(batch_id)
    if batch is None:
        return "missing"
    if batch.finished or not batch.items_finished:
        return "nothing to do"
    try:
        stored = json.loads(rt.storage.get(request_key(batch_id)))
        request = matching.MatchingRequest.from_json(stored)
    except ObjectNotFound:  # answered by an earlier delivery that stopped before finish()
        log.error("similarity job %s: its request is gone", batch_id)
        error = {"code": "internal_error", "message": "the request could not be read back"}
        if batches.finish(batch_id, error=error) and batch.callback_url:
            webhooks.request(rt, Delivery(BATCH, batch_id))
        return "failed"
    response = matching.answer(request, [_outcome(s) for s in batches.all_items(batch_id)])
    key = answer_key(batch_id)
    rt.storage.put(key, json.dumps(response).encode(), content_type="application/json")
    if batches.finish(batch_id, result_key=key) and batch.callback_url:
        webhooks.request(rt, Delivery(BATCH, batch_id))
    rt.storage.delete(request_key(batch_id))
    return "answered"
