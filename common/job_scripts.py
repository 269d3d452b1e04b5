"""The job store's transitions as Lua scripts (``common.jobs``): one round trip each, atomic."""

from __future__ import annotations

from collections.abc import Sequence

import redis
from redis.commands.core import Script
from redis.exceptions import NoScriptError

from common.status import PROCESSING

# Lua transitions. Each reads the job's status first: a missing or finished job is
# left as it is. ARGV[1..3] are the prefixes of a batch's keys (record, item states,
# channel), to which the job's ``batch`` field is appended.
NOT_MOVED, MOVED = 0, 1

# KEYS: the job, the queued jobs' index. ARGV: the 3 batch prefixes, job id, worker, now,
# the item's entry, then the terminal statuses. Returns nil (no job) or the job's fields
# (flat) as they now stand.
START_SCRIPT = f"""
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return nil end
redis.call('ZREM', KEYS[2], ARGV[4])
for i = 8, #ARGV do
    if status == ARGV[i] then return redis.call('HGETALL', KEYS[1]) end
end
redis.call('HSET', KEYS[1], 'status', '{PROCESSING}', 'worker', ARGV[5], 'updated_at', ARGV[6])
redis.call('HINCRBY', KEYS[1], 'deliveries', 1)
local batch = redis.call('HGET', KEYS[1], 'batch')
if batch then redis.call('HSET', ARGV[2] .. batch, ARGV[4], ARGV[7]) end
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: the job, its channel, the queued jobs' index[, the counters' hash]. The message is
# published on the job's channel and, prefixed with the job id and a newline, on the channel
# in the job's ``notify`` field (an API process's listener, ``common.completions``). ARGV: the 3
# batch prefixes, job id, the message, the item's entry, the batch counter to count it in,
# the number n of terminal statuses, the n statuses, the number m of counters, m times
# command (HINCRBY | HINCRBYFLOAT), field, amount (applied to KEYS[4]), then field, value,
# field, value, ... Returns NOT_MOVED, MOVED, or the batch's UUID when this job was its
# last unfinished item.
FINISH_SCRIPT = f"""
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {NOT_MOVED} end
local n = tonumber(ARGV[8])
for i = 9, 8 + n do
    if status == ARGV[i] then return {NOT_MOVED} end
end
local m = tonumber(ARGV[9 + n])
redis.call('HSET', KEYS[1], (table.unpack or unpack)(ARGV, 10 + n + 3 * m))
redis.call('ZREM', KEYS[3], ARGV[4])
redis.call('PUBLISH', KEYS[2], ARGV[5])
local notify = redis.call('HGET', KEYS[1], 'notify')
if notify then redis.call('PUBLISH', notify, ARGV[4] .. '\\n' .. ARGV[5]) end
for i = 10 + n, 7 + n + 3 * m, 3 do
    redis.call(ARGV[i], KEYS[4], ARGV[i + 1], ARGV[i + 2])
end
local batch = redis.call('HGET', KEYS[1], 'batch')
if not batch then return {MOVED} end
redis.call('HSET', ARGV[2] .. batch, ARGV[4], ARGV[6])
redis.call('HINCRBY', ARGV[1] .. batch, ARGV[7], 1)
local counts = redis.call('HMGET', ARGV[1] .. batch, 'total', 'completed', 'failed')
local total = tonumber(counts[1] or 0)
if total > 0 and tonumber(counts[2] or 0) + tonumber(counts[3] or 0) == total then
    redis.call('PUBLISH', ARGV[3] .. batch, 'finished')
    return batch
end
return {MOVED}
"""


def run_pipelined(client: redis.Redis, script: Script, calls: Sequence[tuple[list, list]]) -> list:
    """``script`` once per ``(keys, args)`` of ``calls``, in one round trip; the answers.

    ``EVALSHA`` pipelined by hand: redis-py's pipeline asks ``SCRIPT EXISTS`` before
    each execution (a second round trip). Should Redis have lost the script (a restart, a
    ``SCRIPT FLUSH``), it is loaded and the calls that did not run are run again.
    """
    answers = _evalsha_all(client, script, calls)
    missing = [i for i, answer in enumerate(answers) if isinstance(answer, NoScriptError)]
    if missing:
        script.sha = client.script_load(script.script)
        again = _evalsha_all(client, script, [calls[i] for i in missing])
        for i, answer in zip(missing, again, strict=True):
            answers[i] = answer
    for answer in answers:
        if isinstance(answer, Exception):
            raise answer
    return answers


def _evalsha_all(client: redis.Redis, script: Script, calls: Sequence[tuple[list, list]]) -> list:
    pipe = client.pipeline(transaction=False)
    for keys, args in calls:
        pipe.evalsha(script.sha, len(keys), *keys, *args)
    return pipe.execute(raise_on_error=False)
