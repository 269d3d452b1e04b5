"""``POST /api/v1/batch`` with a multipart body, read as it arrives: a batch's items start on
the workers while the rest of its files are still being uploaded.

The body is parsed part by part from the request's stream (``api.multipart.parts``; never
``request.form``, which would wait for the whole body). The parameters are the query string
and the fields before the first ``file`` part (a field wins over the query, the first of
repeated fields wins, as ``api.inputs.request_params``); they are checked when the first file
arrives, so a wrong one is a 400 before anything is created. Files become inputs in order;
``url``, ``urls`` and ``base64`` fields are kept for the end, where they become inputs after
the files in the order ``POST /api/v1/batch`` always had: files, base64 files, ``url``
fields, ``urls`` fields.

Inputs are written in groups of growing size (``GROUP_CHUNKS``): the first group once it
holds 8 chunks of 8 jobs, then 8 of 16, of 32, of 64, then 8 chunks of ``CHUNK_JOBS`` (100)
each time (``api.fanout.GrowingBatch``: stored, written, sent; the rate limit charged for each
group before it is written). A body that ends before its first group is full is written all at
once (``api.fanout.create_batch``), exactly as before; so is a body without files.

A parameter field after the files is applied while nothing is written yet (a small batch, or
options after the files in a ``curl`` command, behave as they always did); once a group is
written it is a 400 ("send operations and options before the files"). Any failure after the
first group (a 400, 413 or 429 part-way, more than ``MAX_BATCH_ITEMS`` inputs, a body cut
short or a client gone, Redis or storage away) takes back everything the request wrote
(``GrowingBatch.discard``) and answers the error: 4xx for the client's mistakes, 503 for a
service away. Items a worker ran meanwhile leave results that expire with
``RESULT_TTL_SECONDS``.
"""

from __future__ import annotations

from flask import Request
from werkzeug.datastructures import FileStorage

from api.batch_inputs import Parameters, file_input, inline_input, url_input
from api.fanout import BatchInput, GrowingBatch
from api.multipart import FieldPart, FilePart, parts
from api.ratelimit import charge, request_cost
from api.services import Services
from common.batches import CHUNK_JOBS, SPREAD, Batch
from common.errors import BadRequest
from common.fetch import FetchPolicy

GROUP_CHUNKS = (8, 16, 32, 64)  # jobs per chunk in the first groups; CHUNK_JOBS after
INPUT_FIELDS = ("url", "urls", "base64")  # fields that are inputs, not parameters
LATE_PARAMETER = "send operations and options before the files (or in the query string)"


def is_streamed(request: Request) -> bool:
    """Whether the batch request's body is multipart (read as it arrives)."""
    return request.mimetype == "multipart/form-data"


def group_jobs(groups_written: int) -> int:
    """How many jobs the next group holds once ``groups_written`` groups are written."""
    if groups_written < len(GROUP_CHUNKS):
        return SPREAD * GROUP_CHUNKS[groups_written]
    return SPREAD * CHUNK_JOBS


def _close(inputs: list[BatchInput]) -> None:
    for inp in inputs:
        if inp.upload is not None and not isinstance(inp.upload, bytes):
            inp.upload.close()


class StreamedBatch:
    """One multipart batch request, read part by part (see the module's docstring)."""

    def __init__(self, svc: Services, owner: str) -> None:
        self.svc = svc
        self.owner = owner
        self.params: dict = {}
        self.form_names: set[str] = set()
        self.checked: Parameters | None = None  # once a file arrived
        self.pending: list[BatchInput] = []  # inputs not yet written
        self.fields: dict[str, list] = {name: [] for name in INPUT_FIELDS}
        self.count = 0
        self.growing: GrowingBatch | None = None
        self.groups = 0

    def read(self, request: Request) -> tuple[Batch, float]:
        """Read the body and write the batch; the batch as written and the ``wait`` asked for.
        On any failure, what was written is taken back before the error goes on."""
        self.params = dict(request.args.items())
        boundary = request.mimetype_params.get("boundary", "").encode("ascii", "replace")
        if not boundary:
            raise BadRequest("a multipart body needs a boundary")
        try:
            for part in parts(
                request.stream,
                boundary,
                max_form_memory_size=request.max_form_memory_size,
                max_parts=request.max_form_parts,
                max_file_bytes=self.svc.settings.MAX_UPLOAD_BYTES,
            ):
                self._take(part)
            return self._finish()
        except BaseException:
            if self.growing is not None:
                self.growing.discard()
            raise
        finally:
            _close(self.pending)

    def _take(self, part: FieldPart | FilePart) -> None:
        if isinstance(part, FilePart):
            if part.name != "file":  # only ``file`` parts are inputs (as request.files)
                part.stream.close()
                return
            self._counted()
            if self.checked is None:
                self.checked = Parameters.check(self.params, self.svc)
            file = FileStorage(part.stream, part.filename, part.name)
            self.pending.append(file_input(file, self.svc.settings.MAX_UPLOAD_BYTES))
            if len(self.pending) * len(self.checked.operations) >= group_jobs(self.groups):
                self._write(len(self.pending))
            return
        if part.name is None:
            raise BadRequest("every form field needs a name")
        if part.name in INPUT_FIELDS:
            self._counted()
            self.fields[part.name].append(part.value)
        elif part.name != "file" and part.name not in self.form_names:
            self._parameter(part.name, part.value)

    def _parameter(self, name: str, value: str) -> None:
        """A parameter field (the first of its name: ``request.form`` gives the first)."""
        if self.growing is not None:
            raise BadRequest(f"{name!r} came after files already at work: {LATE_PARAMETER}")
        self.form_names.add(name)
        self.params[name] = value
        if self.checked is not None:
            self.checked = Parameters.check(self.params, self.svc)

    def _counted(self) -> None:
        self.count += 1
        limit = self.svc.settings.MAX_BATCH_ITEMS
        if self.count > limit:
            raise BadRequest(f"too many inputs: more than {limit} (limit {limit})")

    def _write(self, count: int) -> None:
        """Write the first ``count`` pending inputs as a group: charged, stored, written, sent."""
        checked = self.checked
        group, self.pending = self.pending[:count], self.pending[count:]
        try:
            charge(request_cost(len(group) * len(checked.operations)))
            if self.growing is None:
                self.growing = GrowingBatch(
                    self.svc,
                    owner=self.owner,
                    operations=checked.operations,
                    callback_url=checked.callback_url,
                )
            self.growing.add(group)
        finally:
            _close(group)
        self.groups += 1

    def _finish(self) -> tuple[Batch, float]:
        """The body has ended: the field inputs after the files, the rest written, sealed."""
        if self.count == 0:
            raise BadRequest("send files (multipart 'file'), 'base64' and/or 'urls'")
        checked = self.checked = self.checked or Parameters.check(self.params, self.svc)
        max_bytes = self.svc.settings.MAX_UPLOAD_BYTES
        self.pending += [inline_input(v, i, max_bytes) for i, v in enumerate(self.fields["base64"])]
        policy = FetchPolicy.from_settings(self.svc.settings)
        self.pending += [url_input(v, policy) for v in self.fields["url"] + self.fields["urls"]]
        if self.growing is None:  # nothing written yet: the whole batch at once, as ever
            return checked.create_batch(self.svc, self.owner, self.pending), checked.wait
        while self.pending:
            self._write(max(1, group_jobs(self.groups) // len(checked.operations)))
        return self.growing.seal(), checked.wait
