"""``exifq.process`` messages filled in from one Celery built are Celery's own messages, and a
real worker runs them."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from celery import _state as celery_state

from common.settings import load_settings
from common.tasks import PROCESS_TASK, QUEUE
from worker import app as worker_app
from worker.enqueue import ProcessMessages, built_by_celery, task_commands


@pytest.fixture
def celery():
    previous = celery_state.get_current_app()
    app = worker_app.create_celery(load_settings(REDIS_KEY_PREFIX="enq:"))
    yield app
    previous.set_current()


def _ids(text: str) -> tuple[str, str]:
    message = json.loads(text)
    return message["headers"]["id"], message["properties"]["delivery_tag"]


def test_a_filled_in_message_is_the_one_celery_builds(celery):
    ours, theirs = task_commands(celery), built_by_celery(celery)
    for _ in range(3):
        job_id = str(uuid.uuid4())
        ((name, (key, text)),) = ours(PROCESS_TASK, [job_id])
        ((their_name, (their_key, their_text)),) = theirs(PROCESS_TASK, [job_id])
        assert (name, key) == (their_name, their_key) == ("lpush", f"enq:{QUEUE}")
        # The same text once Celery's fresh task id and delivery tag are ours.
        for mine, celerys in zip(_ids(text), _ids(their_text), strict=True):
            their_text = their_text.replace(celerys, mine)
        assert text == their_text
        message = json.loads(text)
        assert json.loads(base64.b64decode(message["body"]))[0] == [job_id]
        assert message["headers"]["argsrepr"] == repr([job_id])


def test_every_message_has_ids_of_its_own(celery):
    commands = task_commands(celery)
    texts = [commands(PROCESS_TASK, ["job"])[0][1][1] for _ in range(50)]
    task_ids = {json.loads(text)["headers"]["id"] for text in texts}
    tags = {json.loads(text)["properties"]["delivery_tag"] for text in texts}
    assert len(task_ids) == len(tags) == 50


def test_a_message_not_as_expected_is_built_by_celery_each_time():
    calls = []

    def build(name, args):
        calls.append(args)
        return [("lpush", ("q", "{}")), ("pexpire", ("q", 1000))]  # not one LPUSH

    messages = ProcessMessages(build)
    assert messages.commands("a") == [("lpush", ("q", "{}")), ("pexpire", ("q", 1000))]
    messages.commands("b")
    assert calls == [["00000000-0000-4000-8000-00000000cafe"], ["a"], ["b"]]
