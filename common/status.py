"""The states of a job: ``queued → processing → completed | failed``, never backwards."""

QUEUED, PROCESSING, COMPLETED, FAILED = "queued", "processing", "completed", "failed"
TERMINAL = frozenset({COMPLETED, FAILED})
