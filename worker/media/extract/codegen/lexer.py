"""Tokens of the Perl subset in ExifTool's tag tables (perlop "Quote and Quote-like Operators").

:class:`Lexer` turns one expression into :class:`Tok` items: numbers, quoted strings
(split into literal pieces and interpolated variables), variables, regexes,
``s///`` and ``tr///``, barewords and operators. A ``/`` is a regex where a term is
expected and division after one, as in Perl.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class Unsupported(Exception):
    """The expression uses Perl we do not translate."""


# --------------------------------------------------------------------------- tokens


@dataclass
class Tok:
    kind: str  # num str var op word regex subst trans qw end
    value: object
    pos: int = 0


_OPS = sorted(
    (  # noqa: SIM905 - one line of operators reads better than 60 quoted items
        "<=> ** ++ -- -> =~ !~ == != <= >= && || // .. ... << >> **= += -= *= /= .= %= x= &= |= "
        "^= <<= >>= ||= &&= //= => :: , ; ( ) [ ] { } ? : ! ~ \\ + - * / % . < > = & | ^ @ $"
    ).split(),
    key=len,
    reverse=True,
)
_WORD_OPS = {"lt", "gt", "le", "ge", "eq", "ne", "cmp", "x", "and", "or", "not", "xor"}
_PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">"}
# barewords after which ``/`` starts a regex and ``%`` a hash, not division or modulus
_TAKES_LIST = frozenset(
    (
        *("return", "split", "join", "if", "unless", "elsif", "while", "until", "grep", "map"),
        *("keys", "values", "each", "delete", "exists", "defined", "scalar", "my", "local"),
        *("our", "push", "unshift", "foreach", "for", "sort", "reverse", "ref"),
    )
)


class Lexer:
    def __init__(self, src: str) -> None:
        self.src = src
        self.i = 0
        self.toks: list[Tok] = []

    def error(self, msg: str) -> Unsupported:
        return Unsupported(f"{msg} at {self.i}: {self.src[self.i : self.i + 30]!r}")

    def prev_is_term(self) -> bool:
        if not self.toks:
            return False
        t = self.toks[-1]
        if t.kind in ("num", "str", "var", "regex", "subst", "trans", "qw"):
            return True
        if t.kind == "op" and t.value in (")", "]", "}"):
            return True
        return bool(t.kind == "word" and t.value not in _WORD_OPS and t.value not in _TAKES_LIST)

    def delimited(self, open_ch: str) -> str:
        close = _PAIRS.get(open_ch, open_ch)
        depth = 1
        out = []
        src = self.src
        while self.i < len(src):
            c = src[self.i]
            if c == "\\" and self.i + 1 < len(src):
                out.append(src[self.i : self.i + 2])
                self.i += 2
                continue
            if c == close and open_ch != close:
                depth -= 1
                if depth == 0:
                    self.i += 1
                    return "".join(out)
            elif c == open_ch and open_ch != close:
                depth += 1
            elif c == close:
                self.i += 1
                return "".join(out)
            out.append(c)
            self.i += 1
        raise self.error("unterminated delimiter")

    def flags(self) -> str:
        m = re.compile(r"[a-z]*").match(self.src, self.i)
        self.i = m.end()
        return m.group()

    def skip_space(self) -> None:
        src = self.src
        while self.i < len(src):
            if src[self.i].isspace():
                self.i += 1
            elif src[self.i] == "#":
                while self.i < len(src) and src[self.i] != "\n":
                    self.i += 1
            else:
                break

    def quote_like(self, word: str) -> bool:
        """Handle q qq qw m s tr y followed by a delimiter; return True if consumed."""
        src = self.src
        j = self.i
        while j < len(src) and src[j] in " \t":
            j += 1
        if j >= len(src):
            return False
        d = src[j]
        if d.isalnum() or d.isspace() or d in ",;)=" or (d == "=" and word != "s"):
            return False
        if word in ("m", "q", "qq", "qw", "s", "tr", "y") and d == "=" and src[j : j + 2] == "=>":
            return False
        self.i = j + 1
        start = j
        if word == "q":
            self.toks.append(Tok("str", [("lit", _unescape_single(self.delimited(d)))], start))
        elif word == "qq":
            self.toks.append(Tok("str", _interp_parts(self.delimited(d)), start))
        elif word == "qw":
            self.toks.append(Tok("qw", self.delimited(d).split(), start))
        elif word == "m":
            pat = self.delimited(d)
            self.toks.append(Tok("regex", (pat, self.flags()), start))
        elif word == "s":
            pat = self.delimited(d)
            if d in _PAIRS:
                self.skip_space()
                d2 = src[self.i]
                self.i += 1
                rep = self.delimited(d2)
            else:
                rep = self.delimited(d)
            self.toks.append(Tok("subst", (pat, rep, self.flags()), start))
        else:  # tr / y
            a = self.delimited(d)
            if d in _PAIRS:
                self.skip_space()
                d2 = src[self.i]
                self.i += 1
                b = self.delimited(d2)
            else:
                b = self.delimited(d)
            self.toks.append(Tok("trans", (a, b, self.flags()), start))
        return True

    def run(self) -> list[Tok]:
        src = self.src
        while True:
            self.skip_space()
            if self.i >= len(src):
                break
            c = src[self.i]
            if c.isdigit() or (c == "." and self.i + 1 < len(src) and src[self.i + 1].isdigit()):
                self.number()
            elif c in "'\"":
                start = self.i
                self.i += 1
                text = self.delimited(c)
                parts = [("lit", _unescape_single(text))] if c == "'" else _interp_parts(text)
                self.toks.append(Tok("str", parts, start))
            elif c == "/" and not self.prev_is_term():
                start = self.i
                self.i += 1
                pat = self.delimited("/")
                self.toks.append(Tok("regex", (pat, self.flags()), start))
            elif c in "$@%" and self.i + 1 < len(src) and self.variable():
                pass
            elif c.isalpha() or c == "_":
                if self.bareword():
                    break
            else:
                self.operator()
        self.toks.append(Tok("end", None, len(src)))
        return self.toks

    def number(self) -> None:
        start = self.i
        m = _NUMBER.match(self.src, self.i)
        text = m.group().replace("_", "")
        if text == "" or text == ".":
            raise self.error("bad number")
        if text[:2].lower() == "0x":
            value: int | float = int(text, 16)
        elif text[:2].lower() == "0b":
            value = int(text[2:], 2)
        elif re.fullmatch(r"0\d+", text):
            value = int(text, 8)
        elif re.fullmatch(r"\d+", text):
            value = int(text)
        else:
            value = float(text)
        self.i = m.end()
        self.toks.append(Tok("num", value, start))

    def variable(self) -> bool:
        """``$x``, ``@x``, ``%x``, ``$$x``, ``${x}``, ``$1``, ``$#x``; False if not one."""
        c, start = self.src[self.i], self.i
        m = _VARIABLE.match(self.src, self.i)
        if not m or (c == "%" and self.prev_is_term()):
            return False
        self.i = m.end()
        name = m.group(2).strip("{}")
        self.toks.append(Tok("var", (c, len(m.group(1)), name), start))
        return True

    def bareword(self) -> bool:
        """A word, a quote-like operator or ``x3``; True at ``__END__``."""
        start = self.i
        word = _WORD.match(self.src, self.i).group()
        if re.fullmatch(r"x\d+", word) and self.prev_is_term():
            self.i = start + 1
            self.toks.append(Tok("op", "x", start))
            return False
        self.i = start + len(word)
        if word in ("q", "qq", "qw", "m", "s", "tr", "y") and self.quote_like(word):
            return False
        if word == "__END__":
            return True
        self.toks.append(Tok("word", word, start))
        return False

    def operator(self) -> None:
        for op in _OPS:
            if self.src.startswith(op, self.i):
                self.toks.append(Tok("op", op, self.i))
                self.i += len(op)
                return
        raise self.error("unexpected character")


_NUMBER = re.compile(r"0[xX][0-9a-fA-F_]+|0[bB][01_]+|(\d[\d_]*)?(\.\d[\d_]*)?([eE][-+]?\d+)?")
_VARIABLE = re.compile(r"[$@%](\$*)(\{\^?\w+\}|\w+(::\w+)*|[&_0-9!@/\\\"]|#\w*)")
_WORD = re.compile(r"[A-Za-z_]\w*(::\w+)*(::)?")


def _unescape_single(s: str) -> str:
    return s.replace("\\\\", "\x00BS").replace("\\'", "'").replace("\x00BS", "\\")


_ESC = {"n": "\n", "t": "\t", "r": "\r", "0": "\x00", "e": "\x1b", "a": "\x07", "f": "\f"}


def _interp_parts(s: str) -> list[tuple[str, object]]:
    """Split a double-quoted string into literal pieces and interpolated variables."""
    parts: list[tuple[str, object]] = []
    lit: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "x":
                m = re.compile(r"\{([0-9a-fA-F]+)\}|([0-9a-fA-F]{1,2})").match(s, i + 2)
                lit.append(chr(int(m.group(1) or m.group(2), 16)))
                i = m.end()
                continue
            if (n in "01234567" and n != "0") or (
                n == "0" and i + 2 < len(s) and s[i + 2].isdigit()
            ):
                m = re.compile(r"[0-7]{1,3}").match(s, i + 1)
                lit.append(chr(int(m.group(), 8)))
                i = m.end()
                continue
            lit.append(_ESC.get(n, n))
            i += 2
            continue
        if c in "$@" and i + 1 < len(s):
            m = re.compile(r"([$@])(\$*)(\{\w+\}|\w+)((\[[^\]]+\])|(\{[^}]+\}))*").match(s, i)
            if m and (c == "$" or m.group(3)[0].isalpha() or m.group(3)[0] == "{"):
                if lit:
                    parts.append(("lit", "".join(lit)))
                    lit = []
                parts.append(("expr", m.group()))
                i = m.end()
                continue
        lit.append(c)
        i += 1
    if lit:
        parts.append(("lit", "".join(lit)))
    return parts


def _tr_set(spec: str) -> str:
    """Expand a tr/// character list (ranges and escapes)."""
    chars = "".join(p[1] for p in _interp_parts(spec.replace("$", "\\$").replace("@", "\\@")))
    out = []
    i = 0
    while i < len(chars):
        if i + 2 < len(chars) and chars[i + 1] == "-":
            out.extend(chr(c) for c in range(ord(chars[i]), ord(chars[i + 2]) + 1))
            i += 3
        else:
            out.append(chars[i])
            i += 1
    return "".join(out)
