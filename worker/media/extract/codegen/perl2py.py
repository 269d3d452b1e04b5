"""Translate the small Perl expressions of ExifTool's tag tables into Python source.

:mod:`.generate` calls :func:`compile_perl` for every ``Condition``, ``RawConv``,
``ValueConv``, ``PrintConv``, ``Hook``, ``Start``/``Base``/``Validate`` expression (and
deparsed anonymous subs) it finds in ExifTool's tables, and writes the Python it gets
back into the generated table modules. Expressions outside the supported subset raise
:class:`Unsupported`; the generator then records the expression as untranslated (it
fails loudly under tests and keeps the raw value in production), it never guesses.

The subset is Perl 5 expressions and simple statement lists: scalars, arrays
(``my @a = split ...; "$a[1] $a[0]"``), the operators with Perl's precedence
(``perlop``), string interpolation, ``m//``, ``s///``, ``tr///``, ``?:``, ``foreach``,
``if``/``unless``/``else``, ``return`` and calls of builtins or ExifTool helpers.
Values follow Perl semantics through :mod:`worker.media.extract.perl` (``num``,
``pstr``, ``truth``, ...): strings are latin-1 ``str`` so binary data and text
share one type, as in Perl.

The parser is split by level: :mod:`.lexer` (tokens), :mod:`.statements`,
:mod:`.expressions` (operators), :mod:`.terms` and :mod:`.words` (barewords).
"""

from __future__ import annotations

from .expressions import ExpressionsMixin
from .grammar import _indent
from .lexer import Lexer, Unsupported
from .statements import ParserBase
from .terms import TermsMixin
from .words import WordsMixin

__all__ = ["Parser", "Unsupported", "compile_perl"]


class Parser(WordsMixin, TermsMixin, ExpressionsMixin, ParserBase):
    """Recursive-descent parser of one expression; each method returns Python source."""


def compile_perl(src: str, name: str, package: str = "") -> str:
    """Return Python source defining ``def name(V):`` that evaluates the Perl ``src``.

    ``V`` is the evaluation environment (:class:`worker.media.extract.perl.Env`):
    variables live in it (``$val`` is ``V.get('$val')``), ``$$self{...}`` reaches the
    shared state. The function returns the value of the last statement, like Perl's
    ``eval``. Unqualified calls resolve in ``package`` first (``Decipher`` in Sony's
    tables is ``Sony::Decipher``), as in Perl.
    """
    text = src.strip()
    if text.startswith("{") and text.endswith("}"):
        inner = text[1:-1]
        if "package " in inner or "use strict" in inner:
            text = inner
    toks = Lexer(text).run()
    parser = Parser(toks, text)
    parser.package = package
    body = parser.program()
    lines = [f"def {name}(V):"]
    helpers = parser.lines
    for h in helpers:
        lines.append("    " + h)
    lines.append("    _r = None")
    if any("P.ret(" in line for line in body + helpers):
        lines.append("    try:")
        lines.extend(_indent(_indent(body or ["pass"])))
        lines.append("    except P.Return as _ret:")
        lines.append("        return _ret.value")
    else:
        lines.extend(_indent(body or ["pass"]))
    lines.append("    return _r")
    code = "\n".join(lines)
    try:
        compile(code, name, "exec")
    except SyntaxError as exc:
        raise Unsupported(f"generated invalid Python ({exc}) for {src!r}") from None
    return code
