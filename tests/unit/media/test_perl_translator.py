"""The Perl-to-Python translator on its own: each construct, run, gives what Perl gives.

Every case is also run through real Perl (``perl -e``) so the expected value is Perl's.
"""

from __future__ import annotations

import subprocess

import pytest

from worker.media.extract import perl as P
from worker.media.extract.codegen.perl2py import Unsupported, compile_perl


def run(src: str, val: object = None, package: str = "") -> object:
    """Translate ``src``, run it with ``$val`` set, return its value (as ``eval`` would)."""
    namespace: dict = {"P": P}
    exec(compile_perl(src, "_f", package), namespace)
    env = P.Env({"$val": val, "$self": {"Model": "EOS 5D"}, "@_": [val]})
    return P.evaluate(namespace["_f"], env)


def perl(src: str, val: str) -> str:
    """Real Perl's answer: ``src`` evaluated with ``$val``, printed."""
    code = (
        f"my $val = '{val}'; my $self = {{Model => 'EOS 5D'}}; my $r = eval {{ {src} }}; print $r"
    )
    return subprocess.run(["perl", "-e", code], capture_output=True, text=True).stdout


CASES = [
    ("$val / 100", "250"),
    ('sprintf("%.1f", $val)', "2.25"),
    ("my @a = split ' ', $val; \"$a[1] $a[0]\"", "x y"),
    ("$val =~ /^(\\d+)/ ? $1 : 'none'", "42abc"),
    ("my %h = (a => 'A', b => 'B'); $h{$val} || 'other'", "b"),
    ("my $name = { 0 => 'zero', 1 => 'one' }->{$val}; $name", "1"),
    ("my ($a, $b) = split /,/, $val; $b . $a", "p,q"),
    ("my @a = split ' ', $val; my @b = splice(@a, 0, 2); \"@b|@a\"", "1 2 3 4"),
    ('my @a = (1, 2); join($", @a)', ""),
    ("my $h = {x => 1, y => 2}; join ',', sort keys %$h", ""),
    ("my $n = 0; for (my $i = 0; ; ++$i) { last if $i > 3; $n += $i } $n", ""),
    ("($val = lc $val) =~ s/b/x/; $val", "ABC"),
    ("$$self{Model} =~ /5D/ ? 'yes' : 'no'", ""),
    ("my @v = map { $_ * 2 } split ' ', $val; \"@v\"", "1 2 3"),
    ("$val =~ tr/a-c/A-C/; $val", "abcdef"),
    ("my $x = $val; $x =~ s/(\\d+)/<$1>/g; $x", "a1b22"),
    ("sprintf('%.2f', $val * 2) . (length $val)", "1.125"),
    ('my ($a, $b) = ($val =~ /^(.)(.)/); "$b$a"', "xyz"),
    ("my @a = split ' ', $val; sprintf('%d-%d', $a[0] <= $a[1] ? @a : reverse @a)", "9 3"),
    # foreach over a slice aliases the elements (QuickTime's MatrixStructure)
    ("my @a = split ' ', $val; $_ /= 2 foreach @a[0,2,-1]; \"@a\"", "2 3 4 5 6"),
    ("my @a = split ' ', $val; foreach (@a[1..2]) { $_ .= '!' } join ',', @a", "a b c d"),
    # a reference to an array is that array (QuickTime's CompatibleBrands returns \@a)
    ("my @a = ($val =~ /.{2}/sg); my $r = \\@a; join '-', @$r", "aabbcc"),
    ("my %h = (a => 1, b => 2); my $d = delete $h{$val}; join ',', $d, sort keys %h", "a"),
    ("delete $$self{Model}; defined $$self{Model} ? 'kept' : 'gone'", ""),
    # a block dereference (QuickTime's HandlerType in ExifTool 13: @{$$self{PATH}} > 1)
    ("my $h = {p => [split ' ', $val]}; @{$$h{p}} > 2 ? $$h{p}[-2] : 'short'", "a b c"),
    ("my $h = {a => 1, b => 2}; join ',', sort keys %{$h}", ""),
]


@pytest.mark.parametrize(("src", "val"), CASES, ids=[c[0][:40] for c in CASES])
def test_translated_perl_gives_perls_answer(src: str, val: str) -> None:
    assert P.pstr(run(src, val)) == perl(src, val)


def test_a_returned_array_reference_is_the_array() -> None:
    assert run("my @a = ($val =~ /.{4}/sg); @a = grep(!/\\0/, @a); \\@a", "isom\0\0\0\0mp41") == [
        "isom",
        "mp41",
    ]


def test_return_inside_an_expression() -> None:
    assert run("return 'early' if $val > 1; 'late'", 5) == "early"
    assert run("return 'early' if $val > 1; 'late'", 0) == "late"


def test_unqualified_calls_resolve_in_the_tables_package() -> None:
    code = compile_perl("Decipher(\\$_[0]); $_[0]", "_f", "Sony")
    assert "'Sony::Decipher'" in code and "P.LvRef" in code


@pytest.mark.parametrize("src", ["eval { 1 }", "print $val", "local $_ = 1; goto X"])
def test_perl_outside_the_subset_is_refused_not_guessed(src: str) -> None:
    with pytest.raises(Unsupported):
        compile_perl(src, "_f")
