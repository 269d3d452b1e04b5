import pytest

from common.errors import BadRequest
from common.options import DEFAULT_HASH_TYPES, hash_options, parse_bool, strip_options


def test_strip_defaults_keep_what_rendering_needs():
    assert strip_options().keep == {"icc", "orientation"}


def test_strip_keep_replaces_and_drop_removes():
    assert strip_options(keep="copyright,ICC").keep == {"copyright", "icc"}
    assert strip_options(drop=["orientation"]).keep == {"icc"}
    assert strip_options(keep="", drop="icc").keep == frozenset()


@pytest.mark.parametrize("bad", [{"keep": "gps"}, {"drop": "everything"}])
def test_strip_unknown_groups_are_bad_requests(bad):
    with pytest.raises(BadRequest, match="unknown"):
        strip_options(**bad)


def test_hash_types_default_dedupe_and_validate():
    assert hash_options().types == DEFAULT_HASH_TYPES
    assert hash_options("phash, bmh1,phash").types == ("phash", "bmh1")
    with pytest.raises(BadRequest, match="crc32"):
        hash_options("phash,crc32")


@pytest.mark.parametrize("value,expected", [("1", True), ("off", False), (True, True), ("", False)])
def test_parse_bool(value, expected):
    assert parse_bool(value) is expected


def test_parse_bool_refuses_garbage():
    with pytest.raises(BadRequest):
        parse_bool("maybe")
