"""worker.matching: Ximilar-shaped similarity requests in, Ximilar-shaped answers out.

Outcomes are what the worker stores: the hash operation run here,
in-process, on corpus photos and on copies of them made with Pillow. Answers
are checked against the JSON Schemas in tests/schemas/ximilar/ and field by
field against hashes computed independently.
"""

from __future__ import annotations

import base64
import io
import json
import random
from functools import cache

import jsonschema
import numpy as np
import pytest
from PIL import Image

from common.errors import BadRequest, ExifqError, UrlFetchFailed
from tests.conftest import REPO, corpus_files
from tests.support.operations import run
from tests.unit.media.test_similarity import greedy_reference
from worker import matching
from worker.matching import (
    KINDS,
    MatchingRequest,
    RecordInput,
    RecordOutcome,
    answer,
    hash_type_option,
    parse_request,
)
from worker.media import hamming_index
from worker.media.hashes import hash_image, to_bits
from worker.media.similarity import hamming_distance

SCHEMAS = REPO / "tests" / "schemas" / "ximilar"
LIMITS = {"max_records": 50, "max_base64_bytes": 50 << 20}
HASH_TYPES = ("phash", "bmh1")


def validate(kind: str, body: dict) -> None:
    schema = json.loads((SCHEMAS / f"{kind}.response.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(body)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def parse(kind: str, body: object, **limits: int) -> MatchingRequest:
    return parse_request(kind, body, **{**LIMITS, **limits})


@cache
def hashed(data: bytes, hash_type: str) -> RecordOutcome:
    """What the worker stores for one record's hash job (the result, or the failed job's error)."""
    try:
        return RecordOutcome(run("hash", data, "record", types=hash_type).result, None)
    except ExifqError as exc:
        return RecordOutcome(None, exc.to_dict())


def run_jobs(request: MatchingRequest, web: dict[str, bytes] | None = None) -> list[RecordOutcome]:
    """The server's part: one hash job per input that has no error; URLs are "fetched" from web."""
    outcomes = []
    for given in request.inputs:
        if given.error is not None:
            outcomes.append(RecordOutcome(None, None))  # no job was made
        elif given.data is not None:
            outcomes.append(hashed(given.data, request.hash_type))
        elif given.url in (web or {}):
            outcomes.append(hashed(web[given.url], request.hash_type))
        else:
            failure = UrlFetchFailed(f"{given.url}: HTTP 404").to_dict()
            outcomes.append(RecordOutcome(None, failure))
    return outcomes


def bits_of(data: bytes, hash_type: str) -> str:
    """The record's hash computed independently of run_hash and of worker.matching."""
    value = hash_image(data, [hash_type]).hashes[hash_type]
    return to_bits(value) if hash_type == "phash" else value


@cache
def photos() -> tuple[tuple[str, bytes], ...]:
    """Corpus JPEGs of 0.04 to 4.2 megapixels (camera photos; one of them will not decode).

    The upper bound only keeps the test fast: making and hashing PNG copies of
    the four 8–10 MP photos would take most of its time.
    """
    chosen = [
        (f.id, f.data)
        for f in corpus_files()
        if f.manifest["mime"] == "image/jpeg"
        and 40_000 <= f.manifest["width"] * f.manifest["height"] <= 4_200_000
    ]
    assert len(chosen) >= 18
    return tuple(chosen)


def decodes(data: bytes) -> bool:
    return hashed(data, "phash").error is None


@cache
def copies(data: bytes) -> dict[str, bytes]:
    """Near-duplicates: half size, re-compressed as JPEG quality 70, re-encoded as PNG."""
    image = Image.open(io.BytesIO(data))
    image.load()
    rgb = image.convert("RGB")
    made = {}
    half = rgb.resize((max(1, rgb.width // 2), max(1, rgb.height // 2)), Image.Resampling.LANCZOS)
    for name, picture, fmt, options in [
        ("half", half, "JPEG", {"quality": 90}),
        ("q70", rgb, "JPEG", {"quality": 70}),
        ("png", image, "PNG", {"compress_level": 1}),
    ]:
        out = io.BytesIO()
        picture.save(out, fmt, **options)
        made[name] = out.getvalue()
    return made


@pytest.fixture(scope="module")
def photo() -> bytes:
    return next(data for _, data in photos() if decodes(data))


# ---- parse_request: malformed requests are 400s ------------------------------------------


GOOD = {"_base64": b64(b"x")}


@pytest.mark.parametrize(
    ("kind", "body", "says"),
    [
        ("find_similar", {"records": [GOOD]}, "unknown similarity job"),
        ("visual_hash", [GOOD], "JSON object"),
        ("visual_hash", "records", "JSON object"),
        ("visual_hash", None, "JSON object"),
        ("visual_hash", {}, "records is required"),
        ("visual_hash", {"records": GOOD}, "must be a list"),
        ("visual_hash", {"records": [GOOD, "https://a.example/x.jpg"]}, "records[1]"),
        ("visual_hash", {"records": [GOOD], "hash_type": "dhash"}, "hash_type"),
        ("visual_hash", {"records": [GOOD], "hash_type": ["phash"]}, "hash_type"),
        ("remove_duplicates", {"records": [GOOD], "range": -1}, "range"),
        ("remove_duplicates", {"records": [GOOD], "range": 65}, "range"),
        ("remove_duplicates", {"records": [GOOD], "range": 969, "hash_type": "bmh1"}, "range"),
        ("remove_duplicates", {"records": [GOOD], "range": "5"}, "range"),
        ("remove_duplicates", {"records": [GOOD], "range": 2.5}, "range"),
        ("remove_duplicates", {"records": [GOOD], "range": True}, "range"),
        ("rank_images", {"records": [GOOD]}, "query_record"),
        ("rank_images", {"records": [GOOD], "query_record": "x"}, "query_record"),
        ("rank_images", {"records": [GOOD], "query_record": GOOD, "k": 0}, "k must be"),
        ("rank_images", {"records": [GOOD], "query_record": GOOD, "k": "3"}, "k must be"),
        ("rank_images", {"records": [GOOD], "query_record": GOOD, "range": -2}, "range"),
    ],
)
def test_malformed_requests_are_bad_requests(kind, body, says):
    with pytest.raises(BadRequest) as raised:
        parse(kind, body)
    assert says in raised.value.message
    assert raised.value.http_status == 400


def test_too_many_records_counts_the_query():
    records = [GOOD] * 50
    assert len(parse("visual_hash", {"records": records}).inputs) == 50
    with pytest.raises(BadRequest, match="too many records: 51, at most 50"):
        parse("visual_hash", {"records": [*records, GOOD]})
    with pytest.raises(BadRequest, match="too many records: 51"):
        parse("rank_images", {"records": records, "query_record": GOOD})


def test_defaults_and_options():
    request = parse("remove_duplicates", {"records": [GOOD]})
    assert (request.hash_type, request.range) == ("phash", matching.DEFAULT_RANGE["phash"])
    request = parse("remove_duplicates", {"records": [GOOD], "hash_type": "bmh1", "range": 968})
    assert (request.hash_type, request.range, request.bits) == ("bmh1", 968, 968)
    assert hash_type_option(request) == "bmh1"
    assert parse("visual_hash", {"records": [GOOD], "range": "ignored"}).range is None
    ranked = parse("rank_images", {"records": [GOOD], "query_record": GOOD, "k": 3, "range": 0})
    assert (ranked.k, ranked.range) == (3, 0)
    assert parse("rank_images", {"records": [GOOD], "query_record": GOOD}).range is None
    assert set(KINDS) == {"visual_hash", "remove_duplicates", "rank_images"}


def test_rank_images_puts_the_query_first():
    query, first, second = b"query", b"first", b"second"
    request = parse(
        "rank_images",
        {
            "query_record": {"_base64": b64(query)},
            "records": [{"_base64": b64(first)}, {"_url": "https://a.example/2"}],
        },
    )
    assert request.inputs == [
        RecordInput(data=query),
        RecordInput(data=first),
        RecordInput(url="https://a.example/2"),
    ]
    assert request.query == {"_base64": b64(query)} and len(request.records) == 2
    del second


# ---- parse_request: a bad record is reported on that record -----------------------------


@pytest.mark.parametrize(
    ("record", "code", "says"),
    [
        ({"_id": "a"}, "bad_request", "neither _url nor _base64"),
        ({"_id": "a", "_url": None}, "bad_request", "neither _url nor _base64"),
        ({"_base64": "not base64!"}, "bad_request", "not valid base64"),
        ({"_base64": "QUJD="}, "bad_request", "not valid base64"),
        ({"_base64": "QUJ"}, "bad_request", "not valid base64"),
        ({"_base64": "QU=D"}, "bad_request", "not valid base64"),
        ({"_base64": "QUJDé==="}, "bad_request", "non-ASCII"),
        ({"_base64": ""}, "bad_request", "empty"),
        ({"_base64": " \n"}, "bad_request", "empty"),
        ({"_base64": 12}, "bad_request", "_base64 must be a string"),
        ({"_base64": b64(bytes(2000))}, "too_large", "more than 1000"),
        ({"_url": ""}, "bad_request", "_url must be"),
        ({"_url": ["https://a.example/x.jpg"]}, "bad_request", "_url must be"),
        ({"_url": "ftp://a.example/x.jpg"}, "url_forbidden", "only http and https"),
        ({"_url": "https://user@a.example/x.jpg"}, "url_forbidden", "user"),
        ({"_url": "https://a.example/x y.jpg"}, "url_forbidden", ""),
        ({"_url": "photo.jpg"}, "url_forbidden", ""),
    ],
)
def test_a_bad_record_carries_its_error(record, code, says):
    request = parse("visual_hash", {"records": [GOOD, record]}, max_base64_bytes=1000)
    good, bad = request.inputs
    assert good == RecordInput(data=b"x")
    assert bad.url is None and bad.data is None
    assert bad.error["code"] == code
    assert says.lower() in bad.error["message"].lower()


def test_base64_accepts_data_urls_and_line_breaks(photo):
    text = b64(photo)
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    for encoded in (text, wrapped, "data:image/jpeg;base64," + wrapped):
        (given,) = parse("visual_hash", {"records": [{"_base64": encoded}]}).inputs
        assert given == RecordInput(data=photo)


def test_base64_size_limit_is_on_the_decoded_bytes():
    exactly = b64(bytes(999))
    assert parse("visual_hash", {"records": [{"_base64": exactly}]}, max_base64_bytes=999).inputs[
        0
    ] == RecordInput(data=bytes(999))
    (over,) = parse("visual_hash", {"records": [{"_base64": exactly}]}, max_base64_bytes=998).inputs
    assert over.error["code"] == "too_large"


def test_base64_is_preferred_to_url(photo):
    record = {"_url": "https://a.example/x.jpg", "_base64": b64(photo)}
    assert parse("visual_hash", {"records": [record]}).inputs == [RecordInput(data=photo)]


# ---- answer: visual_hash -------------------------------------------------------------------


@pytest.mark.parametrize("hash_type", HASH_TYPES)
def test_visual_hash_answers_every_record(hash_type, photo):
    other = next(data for _, data in reversed(photos()) if decodes(data))
    body = {
        "hash_type": hash_type,
        "records": [
            {"_id": "by-base64", "_base64": b64(photo), "note": {"kept": [1, 2]}},
            {"_id": 7, "_url": "https://a.example/other.jpg"},
            {"_id": "missing", "_url": "https://a.example/gone.jpg"},
            {"_id": "not-an-image", "_base64": b64(b"hello, world")},
            {"_id": "nothing"},
        ],
    }
    request = parse("visual_hash", body)
    reply = answer(request, run_jobs(request, {"https://a.example/other.jpg": other}))
    validate("visual_hash", reply)
    assert reply["status"] == {"code": 300, "text": "MIXED_RESULT"}
    assert reply["hash_type"] == hash_type
    first, second, missing, not_image, nothing = reply["records"]
    for record, data in ((first, photo), (second, other)):
        width, height = Image.open(io.BytesIO(data)).size
        assert record["_status"] == {"code": 200, "text": "OK"}
        assert (record["_width"], record["_height"]) == (width, height)
        assert record["_hash"] == bits_of(data, hash_type)
        assert len(record["_hash"]) == matching.HASH_BITS[hash_type]
    assert first["_id"] == "by-base64" and first["note"] == {"kept": [1, 2]}
    assert "_base64" not in first
    assert second["_id"] == 7 and second["_url"] == "https://a.example/other.jpg"
    assert missing["_status"]["code"] == 400 and missing["_status"]["text"] == "url_fetch_failed"
    assert not_image["_status"]["code"] == 415
    assert not_image["_status"]["text"] == "unsupported_format"
    assert nothing["_status"]["text"] == "bad_request"
    assert "neither" in nothing["_status"]["message"]


def test_fields_the_answer_writes_are_not_taken_from_the_request(photo):
    forged = {"_status": "fine", "_width": 1, "_hash": "1", "_distance": 0, "removed_records": []}
    records = [{"_id": i, "_base64": b64(photo), **forged} for i in range(2)]
    for kind in ("visual_hash", "remove_duplicates"):
        request = parse(kind, {"records": records})
        reply = answer(request, run_jobs(request))
        validate(kind, reply)
        first = reply["records"][0]
        assert first["_status"] == {"code": 200, "text": "OK"} and first["_width"] > 1
    assert [r["_id"] for r in first["removed_records"]] == [1]


def test_visual_hash_all_good_is_ok(photo):
    request = parse("visual_hash", {"records": [{"_base64": b64(photo)}] * 2})
    reply = answer(request, run_jobs(request))
    validate("visual_hash", reply)
    assert reply["status"] == {"code": 200, "text": "OK"}
    assert reply["records"][0] == reply["records"][1]


def test_a_hash_job_result_without_the_hash_fails_that_record_only(photo):
    request = parse("visual_hash", {"records": [{"_base64": b64(photo)}] * 2})
    good = hashed(photo, "phash")
    broken = RecordOutcome({"fileName": "x", "hashes": {"md5": "00"}}, None)
    reply = answer(request, [good, broken])
    validate("visual_hash", reply)
    assert reply["records"][1]["_status"]["code"] == 500
    assert reply["status"]["code"] == 300


def test_answer_needs_one_outcome_per_input(photo):
    request = parse("visual_hash", {"records": [{"_base64": b64(photo)}] * 2})
    with pytest.raises(ValueError, match="1 outcomes for 2 inputs"):
        answer(request, [hashed(photo, "phash")])


# ---- answer: remove_duplicates -------------------------------------------------------------


@pytest.mark.parametrize("hash_type", HASH_TYPES)
def test_remove_duplicates_clusters_each_photo_with_its_copies(hash_type):
    records, origin = [], {}
    for path, data in photos():
        variants = {"original": data, **(copies(data) if decodes(data) else {})}
        for variant, content in variants.items():
            records.append({"_id": f"{path}#{variant}", "_base64": b64(content)})
            origin[records[-1]["_id"]] = path
    random.Random(6).shuffle(records)
    request = parse(
        "remove_duplicates", {"records": records, "hash_type": hash_type}, max_records=200
    )
    reply = answer(request, run_jobs(request))
    validate("remove_duplicates", reply)

    failed = [r["_id"] for r in reply["skipped_records"]]
    assert failed == [r["_id"] for r in records if not decodes(base64.b64decode(r["_base64"]))]
    assert len(failed) >= 1 and reply["status"]["code"] == 300
    clusters = {}
    for kept in reply["records"]:
        members = [kept["_id"]] + [r["_id"] for r in kept.get("removed_records", [])]
        clusters[origin[kept["_id"]]] = members
        assert {origin[m] for m in members} == {origin[kept["_id"]]}  # nothing else joined
    decodable = {origin[r["_id"]] for r in records} - {origin[f] for f in failed}
    assert set(clusters) == decodable  # one kept record per photo
    assert all(len(members) == 4 for members in clusters.values())  # its three copies joined

    order = [r["_id"] for r in records]
    hashes = {
        r["_id"]: bits_of(base64.b64decode(r["_base64"]), hash_type)
        for r in records
        if r["_id"] not in failed
    }
    for kept in reply["records"]:
        assert order.index(kept["_id"]) == min(
            order.index(m) for m in clusters[origin[kept["_id"]]]
        )
        for removed in kept["removed_records"]:
            assert removed["_distance"] == hamming_distance(
                hashes[kept["_id"]], hashes[removed["_id"]]
            )
            assert removed["_distance"] <= reply["range"] == matching.DEFAULT_RANGE[hash_type]


def test_remove_duplicates_range_zero_keeps_only_identical_hashes(photo):
    half = copies(photo)["half"]
    records = [{"_id": i, "_base64": b64(data)} for i, data in enumerate([photo, half, photo])]
    request = parse("remove_duplicates", {"records": records, "range": 0})
    reply = answer(request, run_jobs(request))
    validate("remove_duplicates", reply)
    assert reply["status"] == {"code": 200, "text": "OK"} and reply["range"] == 0
    assert [r["_id"] for r in reply["records"]] == (
        [0, 1] if bits_of(half, "phash") != bits_of(photo, "phash") else [0]
    )
    assert [r["_id"] for r in reply["records"][0]["removed_records"]][-1] == 2


def random_phash_outcomes(count: int, seed: int) -> tuple[list[int], list[RecordOutcome]]:
    """``count`` 64-bit hashes: random ones and near copies (a few bits flipped) of earlier ones."""
    rng = np.random.default_rng(seed)
    values: list[int] = []
    for _ in range(count):
        if values and rng.random() < 0.3:
            value = values[int(rng.integers(len(values)))]
            for bit in rng.choice(64, size=int(rng.integers(0, 14)), replace=False):
                value ^= 1 << int(bit)
        else:
            value = int(rng.integers(0, 2**63)) * 2 + int(rng.integers(0, 2))
        values.append(value)
    outcomes = [
        RecordOutcome({"fileName": "r", "hashes": {"phash": f"{v:016x}"}, "width": 8, "height": 8})
        for v in values
    ]
    return values, outcomes


def synthetic_request(count: int) -> MatchingRequest:
    records = [{"_id": i, "_url": f"https://a.example/{i}.jpg"} for i in range(count)]
    return parse("remove_duplicates", {"records": records}, max_records=count)


def clusters_of(reply: dict) -> list[list[int]]:
    return [
        [kept["_id"]] + [r["_id"] for r in kept["removed_records"]]
        for kept in reply["records"]
        if "removed_records" in kept
    ]


def test_remove_duplicates_equals_the_all_pairs_reference():
    values, outcomes = random_phash_outcomes(600, seed=1)
    reply = answer(synthetic_request(600), outcomes)
    validate("remove_duplicates", reply)
    expected = greedy_reference(values, matching.DEFAULT_RANGE["phash"])
    assert len(expected) > 50
    assert clusters_of(reply) == expected
    kept = {c[0] for c in expected} | set(range(600)) - {m for c in expected for m in c}
    assert [r["_id"] for r in reply["records"]] == sorted(kept)


def test_remove_duplicates_on_10000_records_uses_the_index_not_all_pairs(monkeypatch):
    values, outcomes = random_phash_outcomes(10_000, seed=2)
    calls = []
    real = matching.find_duplicates

    def spy(hashes, max_distance):
        calls.append(len(hashes))
        return real(hashes, max_distance)

    def no_brute_force(*args, **kwargs):
        raise AssertionError("compared all pairs")

    monkeypatch.setattr(matching, "find_duplicates", spy)
    monkeypatch.setattr(hamming_index, "brute_force_pairs", no_brute_force)
    reply = answer(synthetic_request(10_000), outcomes)
    assert calls == [10_000]
    clusters = clusters_of(reply)
    assert len(clusters) > 500
    for members in clusters:  # every removed record is within range of its kept record
        assert all((values[members[0]] ^ values[m]).bit_count() <= 10 for m in members[1:])
    removed = sum(len(m) - 1 for m in clusters)
    assert len(reply["records"]) == 10_000 - removed


# ---- answer: rank_images -------------------------------------------------------------------


@pytest.mark.parametrize("hash_type", HASH_TYPES)
def test_rank_images_puts_the_query_copies_first(hash_type, photo):
    others = [data for _, data in photos() if decodes(data) and data != photo][:8]
    made = copies(photo)
    records = [{"_id": f"other{i}", "_base64": b64(d)} for i, d in enumerate(others)]
    records += [{"_id": name, "_base64": b64(d)} for name, d in made.items()]
    records.append({"_id": "broken", "_base64": b64(photo[:300])})
    random.Random(2).shuffle(records)
    body = {"query_record": {"_id": "query", "_base64": b64(photo)}, "records": records}
    request = parse("rank_images", {**body, "hash_type": hash_type})
    reply = answer(request, run_jobs(request))
    validate("rank_images", reply)

    assert reply["status"]["code"] == 300  # the truncated record
    assert [r["_id"] for r in reply["skipped_records"]] == ["broken"]
    assert reply["query_record"]["_id"] == "query"
    assert reply["query_record"]["_status"] == {"code": 200, "text": "OK"}
    ids = [r["_id"] for r in reply["answer_records"]]
    assert set(ids[:3]) == set(made) and len(ids) == len(others) + 3 == reply["answer_count"]
    query_bits = bits_of(photo, hash_type)
    by_id = {r["_id"]: base64.b64decode(r["_base64"]) for r in records}
    expected = [hamming_distance(query_bits, bits_of(by_id[i], hash_type)) for i in ids]
    assert reply["answer_distances"] == expected == sorted(expected)
    for record in reply["answer_records"]:
        width, height = Image.open(io.BytesIO(by_id[record["_id"]])).size
        assert (record["_width"], record["_height"]) == (width, height)


def test_rank_images_k_and_range():
    values = [0b0, 0b1, 0b11, 0b111, 0b1111, 0b1]
    outcomes = [
        RecordOutcome({"hashes": {"phash": f"{v:016x}"}, "width": 1, "height": 1}) for v in values
    ]
    records = [{"_id": i, "_url": f"https://a.example/{i}"} for i in range(1, 6)]
    base = {"query_record": {"_id": 0, "_url": "https://a.example/0"}, "records": records}

    reply = answer(parse("rank_images", base), outcomes)
    validate("rank_images", reply)
    assert [r["_id"] for r in reply["answer_records"]] == [1, 5, 2, 3, 4]  # ties in input order
    assert reply["answer_distances"] == [1, 1, 2, 3, 4] and "range" not in reply
    reply = answer(parse("rank_images", {**base, "k": 2}), outcomes)
    assert [r["_id"] for r in reply["answer_records"]] == [1, 5]
    reply = answer(parse("rank_images", {**base, "range": 2}), outcomes)
    validate("rank_images", reply)
    assert reply["answer_distances"] == [1, 1, 2] and reply["range"] == 2
    reply = answer(parse("rank_images", {**base, "range": 3, "k": 4}), outcomes)
    assert reply["answer_distances"] == [1, 1, 2, 3] and reply["answer_count"] == 4


def test_rank_images_with_a_failed_query_ranks_nothing(photo):
    body = {
        "query_record": {"_id": "q", "_url": "https://a.example/gone.jpg"},
        "records": [{"_id": "a", "_base64": b64(photo)}, {"_id": "b"}],
    }
    request = parse("rank_images", body)
    reply = answer(request, run_jobs(request))
    validate("rank_images", reply)
    assert reply["query_record"]["_status"]["text"] == "url_fetch_failed"
    assert reply["answer_records"] == [] and reply["answer_distances"] == []
    assert [r["_id"] for r in reply["skipped_records"]] == ["b"]
    assert reply["status"] == {"code": 300, "text": "MIXED_RESULT"}


# ---- storing the request between parse and answer ------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_stored_request_gives_the_same_answer(kind, photo):
    body = {
        "records": [
            {"_id": 1, "_base64": b64(photo)},
            {"_id": 2, "_url": "https://a.example/x"},
            {},
        ],
        "query_record": {"_id": "q", "_base64": b64(photo)},
    }
    request = parse(kind, body)
    stored = json.loads(json.dumps(request.to_json()))
    assert all("_base64" not in record for record in [*stored["records"], stored["query"] or {}])
    restored = MatchingRequest.from_json(stored)
    outcomes = run_jobs(request)
    assert answer(restored, outcomes) == answer(request, outcomes)
    validate(kind, answer(restored, outcomes))
