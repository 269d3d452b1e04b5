"""The Perl emulator on its own: scalar semantics, builtins, conversions, failure handling.

Expected values are Perl's (perlop, perlfunc), checked where it matters against ``perl -e``.
"""

from __future__ import annotations

import logging
import subprocess

import pytest

from worker.media.extract import perl as P


def perl(code: str) -> str:
    """What real Perl prints for ``code``."""
    return subprocess.run(["perl", "-e", code], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize(
    ("value", "number"),
    [("12abc", 12), ("  -3.5e2x", -350.0), ("abc", 0), ("", 0), (None, 0), ("0x1A", 0)],
)
def test_numbers_are_the_leading_number_of_a_string(value: object, number: float) -> None:
    assert P.num(value) == number


def test_strings_of_numbers_are_perls() -> None:
    assert [P.pstr(3.0), P.pstr(0.1 + 0.2), P.pstr(1e21), P.pstr(None)] == [
        "3",
        perl("print 0.1+0.2"),
        perl("print 1e21"),
        "",
    ]


@pytest.mark.parametrize(("value", "true"), [("0", False), ("", False), ("0.0", True), (0, False)])
def test_truth_is_perls(value: object, true: bool) -> None:
    assert P.truth(value) is true


def test_sprintf_matches_perl() -> None:
    cases = [("%.2f", 3.14159), ("%+d", 5), ("%x", 255), ("%.3g", 0.000123456), ("%5s", "ab")]
    for fmt, value in cases:
        assert P.sprintf([fmt, value]) == perl(f'printf("{fmt}", {value!r})'), fmt
    assert P.sprintf(["%b", 5]) == "101"
    assert P.sprintf(["%vd", "1.2.3"]) == "49.46.50.46.51"  # %vd joins the ordinals


def test_unpack_and_pack_match_perl() -> None:
    data = "\x01\x02\x03\x04\xff\xfe"
    assert P.unpack(["n2 C*", data]) == [0x0102, 0x0304, 0xFF, 0xFE]
    assert P.unpack(["v", data]) == [0x0201]
    assert P.unpack(["H*", "\xab\xcd"]) == ["abcd"]
    assert P.unpack(["n!", "\xff\xfe"]) == [-2]
    assert P.pack(["NnC", 1, 2, 3]) == "\x00\x00\x00\x01\x00\x02\x03"


def test_split_drops_trailing_empty_fields_and_splits_on_white_space() -> None:
    assert P.split(" ", "  a b  c  ") == ["a", "b", "c"]
    assert P.split((",", 0), "a,b,,") == ["a", "b"]
    assert P.split((",", 0), "a,b,c", 2) == ["a", "b,c"]


def test_splice_changes_the_array_in_place() -> None:
    values = [1, 2, 3, 4, 5]
    assert P.splice(values, [1, 2]) == [2, 3]
    assert values == [1, 4, 5]
    assert P.splice(values, [-1]) == [5] and values == [1, 4]


def test_scalar_global_match_moves_pos() -> None:
    env = P.Env()
    assert P.match_next(env, "aXbX", "X", 0) == 1 and P.pos(env, "aXbX") == 2
    assert P.match_next(env, "aXbX", "X", 0) == 1 and P.pos(env, "aXbX") == 4
    assert P.match_next(env, "aXbX", "X", 0) == ""


def test_transliteration_and_substitution() -> None:
    env = P.Env({"$v": "a-b-c"})
    count = P.trans(env["$v"], lambda v: env.set("$v", v), "-", "_", "")
    assert count == 2 and env["$v"] == "a_b_c"
    done = P.subst(env, env["$v"], lambda v: env.set("$v", v), "_", 0, lambda V: ".", 0)
    assert done == 2 and env["$v"] == "a.b.c"


def test_a_reference_to_an_array_element_writes_back() -> None:
    values = ["abc"]
    ref = P.LvRef(lambda: values[0], lambda v: values.__setitem__(0, v))
    ref.value = "xyz"
    assert values == ["xyz"] and isinstance(ref, P.Ref)


def test_print_hash_falls_back_like_exiftool() -> None:
    def run(conv: P.PrintHash, value: object) -> object:
        return conv(P.Env({"$val": value}))

    assert run(P.PrintHash({"1": "On"}), 1) == "On"
    assert run(P.PrintHash({"1": "On"}), 7) == "Unknown (7)"
    assert run(P.PrintHash({}, print_hex=True), 31) == "Unknown (0x1f)"
    assert run(P.PrintHash({"0": "x"}, bitmask={"0": "A", "2": "C"}), 5) == "A, C"
    assert run(P.PrintHash({}, bitmask={"0": "A"}), 0) == "(none)"
    assert run(P.PrintHash({}, other=lambda V: f"other {V['@_'][0]}"), 9) == "other 9"


def test_decode_bits_names_each_set_bit_of_each_word() -> None:
    assert P.decode_bits("3 1", {"0": "a", "1": "b", "32": "c"}) == "a, b, c"
    assert P.decode_bits("6", None) == "1,2"


def test_conversion_lists_apply_per_item_and_repeat() -> None:
    double = lambda V: P.num(V["$val"]) * 2  # noqa: E731
    assert P.conv_list([double, None])(P.Env({"$val": "1 2 3"})) == "2 2 3"
    assert P.conv_list([double, "REPEAT"], "; ")(P.Env({"$val": "1 2 3"})) == "2; 4; 6"


def test_perl_errors_give_undef_as_exiftools_eval_does() -> None:
    assert P.evaluate(lambda V: P.div(1, 0), P.Env(), default="undef") == "undef"
    assert P.evaluate(lambda V: P.ret(5), P.Env()) == 5


def _broken(V: P.Env) -> object:
    return {}["missing"]


def test_our_failures_raise_under_tests_with_where_and_source() -> None:
    assert P.is_strict()
    with pytest.raises(P.ExpressionFailure, match="Canon::Main Lens ValueConv") as failure:
        P.evaluate(_broken, P.Env(), where=("Canon::Main", "Lens", "ValueConv"))
    assert "KeyError" in str(failure.value)
    untranslated = P.untranslated("$x = eval { 1 }", "builtin eval")
    with pytest.raises(P.ExpressionFailure, match=r"(?s)untranslated.*eval \{ 1 \}"):
        P.evaluate(untranslated, P.Env(), where="Exif::Main X Condition")


def test_in_production_a_failure_keeps_the_raw_value_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    previous = P.set_strict(False)
    try:
        with caplog.at_level(logging.WARNING, logger="exifq.extract"):
            for _ in range(3):
                assert P.convert(_broken, "raw", {}, where="T X ValueConv") == "raw"
    finally:
        P.set_strict(previous)
    assert len(caplog.records) == 1 and "T X ValueConv" in caplog.text
    assert sum(n for (where, _), n in P.COUNTS.items() if where == "T X ValueConv") == 3


def test_helpers_resolve_in_their_package_then_in_exiftool_pm() -> None:
    import worker.media.extract.exiftool_funcs  # noqa: F401 - registers them

    assert P.resolve("Image::ExifTool::Canon::CanonEv") is P.FUNCTIONS["Canon::CanonEv"]
    assert P.resolve("Sony::Get16u") is P.FUNCTIONS["Get16u"]  # imported from ExifTool.pm
    assert P.resolve("Sony::NoSuchHelper") is None
