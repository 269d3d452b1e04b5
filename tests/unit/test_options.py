"""Options: one declaration read strictly from every edge (request, JSON, command line)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import pytest

from common import operations
from common import options as opts
from common.errors import BadRequest
from common.operations.extract import ExtractOptions
from common.operations.hashes import DEFAULT_HASH_TYPES, HashOptions
from common.operations.remove import StripOptions


@dataclass(frozen=True)
class Sample:
    flag: bool = opts.option(False, "a flag")
    on: bool = opts.option(True, "on unless turned off")
    count: int = opts.option(3, "a count", minimum=1, maximum=10)
    ratio: float = opts.option(0.5, "a ratio", minimum=0, maximum=1)
    mode: str = opts.option(
        "raw", "a mode", choices=("raw", "printed"), cli="--printed", cli_const="printed"
    )
    names: tuple[str, ...] = opts.option(
        ("a",), "names", choices=("a", "b", "c"), empty_is_default=True
    )
    group: frozenset[str] = opts.option(frozenset(), "a set", choices=("x", "y"))


def test_defaults_and_strip_groups():
    assert StripOptions().kept == {"icc", "orientation"}
    assert HashOptions().types == DEFAULT_HASH_TYPES
    assert ExtractOptions().pixels is True


@pytest.mark.parametrize(
    "params,kept",
    [
        ({"keep": "copyright,ICC"}, {"copyright", "icc"}),
        ({"drop": ["orientation"]}, {"icc"}),
        ({"keep": "", "drop": "icc"}, set()),
    ],
)
def test_strip_keep_and_drop(params, kept):
    assert operations.get("remove").parse_options(params).kept == kept


def test_hash_types_keep_order_without_repeats_and_empty_means_default():
    parse = operations.get("hash").parse_options
    assert parse({"types": "phash, bmh1,phash"}).types == ("phash", "bmh1")
    assert parse({"types": ""}).types == DEFAULT_HASH_TYPES


@pytest.mark.parametrize(
    "op,params",
    [
        ("hash", {"types": 5}),
        ("hash", {"types": False}),
        ("hash", {"types": "phash,crc32"}),
        ("hash", {"types": ["phash", 3]}),
        ("hash", {"fast": 1}),
        ("hash", {"fast": "maybe"}),
        ("hash", {"fast": None}),
        ("remove", {"drop": False}),
        ("remove", {"keep": {"a": 1}}),
        ("remove", {"keep": "gps"}),
        ("extract", {"pixels": 5}),
        ("extract", {"pixels": []}),
        ("extract", {"nope": True}),
    ],
)
def test_wrong_types_and_values_are_bad_requests(op, params):
    with pytest.raises(BadRequest):
        operations.get(op).parse_options(params)


@pytest.mark.parametrize(
    "value,expected",
    [(True, True), ("true", True), ("Yes", True), ("1", True), ("off", False), ("", False)],
)
def test_booleans(value, expected):
    assert opts.parse(Sample, {"flag": value}).flag is expected


@pytest.mark.parametrize(
    "params",
    [{"count": 0}, {"count": "11"}, {"count": 2.5}, {"count": True}, {"ratio": "nan"}],
)
def test_numbers_are_checked(params):
    with pytest.raises(BadRequest):
        opts.parse(Sample, params)


def test_numbers_and_choices_are_read_from_strings():
    value = opts.parse(Sample, {"count": " 4 ", "ratio": "0.25", "mode": "Printed"})
    assert (value.count, value.ratio, value.mode) == (4, 0.25, "printed")


def test_json_round_trip_keeps_types():
    value = opts.parse(Sample, {"names": "c,b", "group": ["y", "x"], "flag": "1"})
    data = opts.to_json(value)
    assert data["group"] == ["x", "y"] and data["names"] == ["c", "b"]
    assert opts.from_json(Sample, data) == value


def test_json_schema_describes_each_field():
    schema = opts.json_schema(Sample)
    assert schema["flag"]["type"] == "boolean" and schema["count"]["maximum"] == 10
    assert schema["mode"]["enum"] == ["raw", "printed"]
    assert schema["names"]["anyOf"][0]["items"]["enum"] == ["a", "b", "c"]
    assert opts.json_schema(Sample, form=True)["group"]["type"] == "string"


def test_command_line_flags():
    parser = argparse.ArgumentParser()
    opts.add_arguments(parser, Sample)
    args = parser.parse_args(["--flag", "--no-on", "--count", "7", "--printed", "--names", "b"])
    value = opts.from_arguments(Sample, args)
    assert (value.flag, value.on, value.count, value.mode, value.names) == (
        True,
        False,
        7,
        "printed",
        ("b",),
    )
    assert opts.given_arguments(Sample, args) == {
        "flag": "true",
        "on": "false",
        "count": "7",
        "mode": "printed",
        "names": "b",
    }
    assert opts.from_arguments(Sample, parser.parse_args([])) == Sample()


def test_a_field_without_option_is_refused():
    @dataclass(frozen=True)
    class Bad:
        plain: int = 3

    with pytest.raises(TypeError):
        opts.fields(Bad)
