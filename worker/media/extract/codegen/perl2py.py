"""Translate the small Perl expressions of ExifTool's tag tables into Python source.

Development-time only: :mod:`.generate` calls :func:`compile_perl` for every
``Condition``, ``RawConv``, ``ValueConv``, ``Hook``, ``Start``/``Base``/``Validate``
expression (and deparsed anonymous subs) it finds in ExifTool's tables, and writes
the Python it gets back into the generated table modules. Expressions outside the
supported subset raise :class:`Unsupported`; the generator then records the tag
without that conversion (and counts it), it never guesses.

The subset is Perl 5 expressions and simple statement lists: scalars, arrays
(``my @a = split ...; "$a[1] $a[0]"``), the operators with Perl's precedence
(``perlop``), string interpolation, ``m//``, ``s///``, ``tr///``, ``?:``, ``foreach``,
``if``/``unless``/``else``, ``return`` and calls of builtins or ExifTool helpers.
Values follow Perl semantics through :mod:`worker.media.extract.perl` (``num``,
``pstr``, ``truth``, ...): strings are latin-1 ``str`` so binary data and text
share one type, as in Perl.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Unsupported", "compile_perl"]


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
        return bool(
            t.kind == "word"
            and t.value not in _WORD_OPS
            and t.value
            not in ("return", "split", "join", "if", "unless", "and", "or", "not", "grep", "map")
        )

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
            start = self.i
            if c.isdigit() or (c == "." and self.i + 1 < len(src) and src[self.i + 1].isdigit()):
                m = re.compile(
                    r"0[xX][0-9a-fA-F_]+|0[bB][01_]+|(\d[\d_]*)?(\.\d[\d_]*)?([eE][-+]?\d+)?"
                ).match(src, self.i)
                text = m.group().replace("_", "")
                if text == "" or text == ".":
                    raise self.error("bad number")
                if text[:2].lower() == "0x":
                    value = int(text, 16)
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
                continue
            if c == "'":
                self.i += 1
                self.toks.append(
                    Tok("str", [("lit", _unescape_single(self.delimited("'")))], start)
                )
                continue
            if c == '"':
                self.i += 1
                self.toks.append(Tok("str", _interp_parts(self.delimited('"')), start))
                continue
            if c == "/" and not self.prev_is_term():
                self.i += 1
                pat = self.delimited("/")
                self.toks.append(Tok("regex", (pat, self.flags()), start))
                continue
            if c in "$@%" and self.i + 1 < len(src):
                m = re.compile(r"[$@%](\$*)(\{\^?\w+\}|\w+(::\w+)*|[&_0-9!@/\\]|#\w*)").match(
                    src, self.i
                )
                if m and not (c == "%" and self.prev_is_term()):
                    self.i = m.end()
                    name = m.group(2).strip("{}")
                    self.toks.append(Tok("var", (c, len(m.group(1)), name), start))
                    continue
            if c.isalpha() or c == "_":
                m = re.compile(r"[A-Za-z_]\w*(::\w+)*(::)?").match(src, self.i)
                word = m.group()
                if re.fullmatch(r"x\d+", word) and self.prev_is_term():
                    self.i = start + 1
                    self.toks.append(Tok("op", "x", start))
                    continue
                self.i = m.end()
                if word in ("q", "qq", "qw", "m", "s", "tr", "y") and self.quote_like(word):
                    continue
                if word == "__END__":
                    break
                self.toks.append(Tok("word", word, start))
                continue
            for op in _OPS:
                if src.startswith(op, self.i):
                    self.i += len(op)
                    self.toks.append(Tok("op", op, start))
                    break
            else:
                raise self.error("unexpected character")
        self.toks.append(Tok("end", None, len(src)))
        return self.toks


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


# --------------------------------------------------------------------------- regexes


def regex_to_python(pat: str, flags: str) -> tuple[str, int]:
    """Translate a Perl regex into ``re`` syntax and flags."""
    if re.search(r"(?<!\\)\$(?![)|]|$)\w", pat) or "(?{" in pat or "\\G" in pat:
        raise Unsupported(f"regex with interpolation: {pat}")
    out = []
    i = 0
    while i < len(pat):
        c = pat[i]
        if c == "\\" and i + 1 < len(pat):
            n = pat[i + 1]
            if n == "z":
                out.append(r"\Z")
            elif n == "Z":
                out.append(r"(?=\n?\Z)")
            elif n == "0" and not (i + 2 < len(pat) and pat[i + 2] in "01234567"):
                out.append(r"\x00")
            elif n == "x" and i + 2 < len(pat) and pat[i + 2] == "{":
                j = pat.index("}", i)
                code = int(pat[i + 3 : j], 16)
                out.append(f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}")
                i = j + 1
                continue
            elif n in "hH":
                out.append(r"[ \t]" if n == "h" else r"[^ \t]")
            elif n == "/":
                out.append("/")
            else:
                out.append(pat[i : i + 2])
            i += 2
            continue
        if c == "$" and (i + 1 == len(pat) or pat[i + 1] in ")|"):
            out.append("$")
            i += 1
            continue
        if pat.startswith("(?<", i) and i + 3 < len(pat) and pat[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        if pat.startswith("[[:", i):
            m = re.compile(r"\[\[:(\^?)(\w+):\]\]").match(pat, i)
            if not m:
                raise Unsupported("posix class")
            cls = {
                "alpha": "a-zA-Z",
                "digit": "0-9",
                "alnum": "a-zA-Z0-9",
                "space": r"\s",
                "upper": "A-Z",
                "lower": "a-z",
                "print": r"\x20-\x7e",
                "xdigit": "0-9a-fA-F",
                "punct": r"!-/:-@\[-`{-~",
                "cntrl": r"\x00-\x1f",
            }[m.group(2)]
            out.append(f"[{m.group(1)}{cls}]")
            i = m.end()
            continue
        out.append(c)
        i += 1
    py_flags = 0
    for f in flags:
        if f == "i":
            py_flags |= re.IGNORECASE
        elif f == "s":
            py_flags |= re.DOTALL
        elif f == "m":
            py_flags |= re.MULTILINE
        elif f == "x":
            py_flags |= re.VERBOSE
        elif f in "gceo":
            pass
        else:
            raise Unsupported(f"regex flag {f}")
    text = "".join(out)
    try:
        re.compile(text, py_flags)
    except re.error as exc:
        raise Unsupported(f"regex {pat!r}: {exc}") from None
    return text, int(py_flags)


# --------------------------------------------------------------------------- parser

# Perl builtins we translate: name -> (python helper, min args, max args); named unary
# operators bind tighter than comparison (perlop "Named Unary Operators").
_NAMED_UNARY = {
    "defined",
    "length",
    "lc",
    "uc",
    "lcfirst",
    "ucfirst",
    "ord",
    "chr",
    "hex",
    "oct",
    "int",
    "abs",
    "sqrt",
    "log",
    "exp",
    "sin",
    "cos",
    "ref",
    "scalar",
    "chomp",
    "chop",
    "quotemeta",
    "undef",
    "exists",
    "delete",
    "fc",
}
_LIST_FUNCS = {
    "join",
    "split",
    "sprintf",
    "substr",
    "unpack",
    "pack",
    "push",
    "unshift",
    "shift",
    "pop",
    "splice",
    "reverse",
    "sort",
    "index",
    "rindex",
    "atan2",
    "printf",
    "return",
    "keys",
    "values",
    "wantarray",
    "die",
    "warn",
    "lcfirst",
    "abs",
    "int",
}
_BUILTIN = {
    "defined": "P.defined",
    "length": "P.length",
    "lc": "P.lc",
    "uc": "P.uc",
    "lcfirst": "P.lcfirst",
    "ucfirst": "P.ucfirst",
    "ord": "P.ord_",
    "chr": "P.chr_",
    "hex": "P.hex_",
    "oct": "P.oct_",
    "int": "P.int_",
    "abs": "P.abs_",
    "sqrt": "P.sqrt",
    "log": "P.log",
    "exp": "P.exp",
    "sin": "P.sin",
    "cos": "P.cos",
    "atan2": "P.atan2",
    "join": "P.join",
    "sprintf": "P.sprintf",
    "substr": "P.substr",
    "unpack": "P.unpack",
    "pack": "P.pack",
    "index": "P.index",
    "rindex": "P.rindex",
    "reverse": "P.reverse",
    "sort": "P.sort",
    "quotemeta": "P.quotemeta",
    "scalar": "P.scalar",
    "ref": "P.ref",
    "fc": "P.lc",
}


class Node:
    """Compiled fragment: ``py`` is Python source; ``kind`` says how it behaves in Perl."""

    __slots__ = ("kind", "lvalue", "py")

    def __init__(self, py: str, kind: str = "scalar", lvalue: str | None = None) -> None:
        self.py = py
        self.kind = kind  # scalar | list | array (named @var, assignable)
        self.lvalue = lvalue  # python expression of a setter prefix when assignable


class Parser:
    def __init__(self, toks: list[Tok], src: str) -> None:
        self.toks = toks
        self.k = 0
        self.src = src
        self.lines: list[str] = []
        self.tmp = 0

    # ---- token helpers
    def peek(self, off: int = 0) -> Tok:
        return self.toks[min(self.k + off, len(self.toks) - 1)]

    def next(self) -> Tok:
        t = self.toks[self.k]
        self.k += 1
        return t

    def at(self, kind: str, value: object = None) -> bool:
        t = self.peek()
        return t.kind == kind and (value is None or t.value == value)

    def at_op(self, *ops: str) -> bool:
        t = self.peek()
        return (t.kind == "op" and t.value in ops) or (t.kind == "word" and t.value in ops)

    def expect(self, value: str) -> None:
        t = self.next()
        if t.value != value:
            raise Unsupported(f"expected {value!r}, got {t.value!r} in {self.src!r}")

    # ---- statements
    def program(self) -> list[str]:
        body = self.block_statements(top=True)
        if not self.at("end"):
            raise Unsupported(f"trailing tokens at {self.peek().value!r}")
        return body

    def block_statements(self, top: bool = False) -> list[str]:
        out: list[str] = []
        while not self.at("end") and not self.at("op", "}"):
            if self.at("op", ";"):
                self.next()
                continue
            out.extend(self.statement())
        return out

    def braced_block(self) -> list[str]:
        self.expect("{")
        body = self.block_statements()
        self.expect("}")
        return body or ["pass"]

    def statement(self) -> list[str]:
        t = self.peek()
        if t.kind == "op" and t.value == "{":
            return self.braced_block()
        if t.kind == "word":
            w = t.value
            if w in ("package", "use", "no"):
                while not self.at("op", ";") and not self.at("end"):
                    self.next()
                return []
            if w in ("if", "unless"):
                self.next()
                self.expect("(")
                cond = self.expr()
                self.expect(")")
                test = f"P.truth({cond.py})" if w == "if" else f"not P.truth({cond.py})"
                lines = [f"if {test}:", *_indent(self.braced_block())]
                while self.at("word", "elsif"):
                    self.next()
                    self.expect("(")
                    c2 = self.expr()
                    self.expect(")")
                    lines += [f"elif P.truth({c2.py}):", *_indent(self.braced_block())]
                if self.at("word", "else"):
                    self.next()
                    lines += ["else:", *_indent(self.braced_block())]
                return lines
            if w in ("foreach", "for"):
                return self.foreach()
            if w == "while":
                self.next()
                self.expect("(")
                cond = self.expr()
                self.expect(")")
                body = self.braced_block()
                return [
                    "for _guard in range(100000):",
                    f"    if not P.truth({cond.py}): break",
                    *_indent(body),
                ]
            if w in ("last", "next"):
                self.next()
                stmt = "break" if w == "last" else "continue"
                return self.modifiers([stmt])
            if w == "return":
                self.next()
                if (
                    self.at("op", ";")
                    or self.at("end")
                    or self.at("op", "}")
                    or self.at_op("if", "unless")
                ):
                    return self.modifiers(["return None"])
                e = self.expr()
                return self.modifiers([f"return {self.scalar(e)}"])
        e = self.expr()
        return self.modifiers([f"_r = {self.scalar(e)}"])

    def modifiers(self, lines: list[str]) -> list[str]:
        t = self.peek()
        if t.kind == "word" and t.value in ("if", "unless"):
            self.next()
            cond = self.expr()
            test = f"P.truth({cond.py})" if t.value == "if" else f"not P.truth({cond.py})"
            return [f"if {test}:", *_indent(lines)]
        if t.kind == "word" and t.value in ("foreach", "for"):
            self.next()
            lst = self.expr()
            return self._loop("V['$_']", lst, lines, alias=True)
        if t.kind == "word" and t.value in ("while", "until"):
            self.next()
            cond = self.expr()
            test = f"P.truth({cond.py})" if t.value == "while" else f"not P.truth({cond.py})"
            return ["for _guard in range(100000):", f"    if not ({test}): break", *_indent(lines)]
        return lines

    def foreach(self) -> list[str]:
        self.next()
        var = "V['$_']"
        if self.at("word", "my"):
            self.next()
        if self.at("var"):
            t = self.next()
            var = f"V[{('$' + t.value[2])!r}]"
        self.expect("(")
        init = None if self.at("op", ";") else self.expr()
        if self.at("op", ";"):
            self.next()
            cond = self.expr()
            self.expect(";")
            step = self.expr()
            self.expect(")")
            body = self.braced_block()
            lines = [f"_r = {self.scalar(init)}"] if init else []
            return [
                *lines,
                "for _guard in range(1000000):",
                f"    if not P.truth({self.scalar(cond)}): break",
                *_indent(body),
                f"    {self.scalar(step)}",
            ]
        lst = init
        self.expect(")")
        body = self.braced_block()
        return self._loop(var, lst, body, alias=True)

    def _loop(self, var: str, lst: Node, body: list[str], alias: bool) -> list[str]:
        self.tmp += 1
        n = self.tmp
        if lst.kind == "array":
            return [
                f"_l{n} = {lst.py}",
                f"for _i{n} in range(len(_l{n})):",
                f"    {var} = _l{n}[_i{n}]",
                *_indent(body),
                f"    _l{n}[_i{n}] = {var}",
            ]
        return [f"for _x{n} in list({self.listify(lst)}):", f"    {var} = _x{n}", *_indent(body)]

    # ---- expressions (lowest precedence first)
    def expr(self) -> Node:
        return self.low_or()

    def low_or(self) -> Node:
        left = self.low_and()
        while self.at_op("or", "xor"):
            op = self.next().value
            right = self.low_and()
            if op == "or":
                left = Node(f"P.or_({self.scalar(left)}, lambda: {self.scalar(right)})")
            else:
                left = Node(f"(P.truth({left.py}) != P.truth({right.py}))")
        return left

    def low_and(self) -> Node:
        left = self.low_not()
        while self.at_op("and"):
            self.next()
            right = self.low_not()
            left = Node(f"P.and_({self.scalar(left)}, lambda: {self.scalar(right)})")
        return left

    def low_not(self) -> Node:
        if self.at_op("not"):
            self.next()
            e = self.low_not()
            return Node(f"P.not_({self.scalar(e)})")
        return self.comma()

    def comma(self) -> Node:
        items = [self.assign()]
        if not self.at_op(",", "=>"):
            return items[0]
        while self.at_op(",", "=>"):
            self.next()
            if (
                self.at("end")
                or self.at_op(")", "]", ";", "}")
                or self.at_op("if", "unless", "or", "and")
            ):
                break
            items.append(self.assign())
        return Node("P.flat(" + ", ".join(self.listify(i) for i in items) + ")", "list")

    def assign(self) -> Node:
        left = self.ternary()
        t = self.peek()
        if t.kind == "op" and t.value in (
            "=",
            "+=",
            "-=",
            "*=",
            "/=",
            ".=",
            "%=",
            "x=",
            "**=",
            "|=",
            "&=",
            "^=",
            "<<=",
            ">>=",
            "||=",
            "&&=",
            "//=",
        ):
            self.next()
            right = self.assign()
            return self.make_assign(left, t.value, right)
        return left

    def make_assign(self, left: Node, op: str, right: Node) -> Node:
        if left.lvalue is None:
            raise Unsupported(f"assignment to non-lvalue {left.py}")
        if op == "=":
            if left.kind in ("array", "mylist"):
                return Node(f"{left.lvalue}{self.listify(right)})", "list")
            value = self.scalar(right)
        else:
            bop = op[:-1]
            cur = Node(left.py)
            value = self.binop(bop, cur, right).py
        return Node(f"{left.lvalue}{value})")

    def ternary(self) -> Node:
        cond = self.range_()
        if self.at("op", "?"):
            self.next()
            a = self.assign()
            self.expect(":")
            b = self.assign()
            node = Node(f"({self.scalar(a)} if P.truth({cond.py}) else {self.scalar(b)})")
            if a.lvalue and b.lvalue:
                node.lvalue = None
            return node
        return cond

    def range_(self) -> Node:
        left = self.oror()
        if self.at("op", ".."):
            self.next()
            right = self.oror()
            return Node(f"P.prange({left.py}, {right.py})", "list")
        return left

    def oror(self) -> Node:
        left = self.andand()
        while self.at_op("||", "//"):
            op = self.next().value
            right = self.andand()
            fn = "P.or_" if op == "||" else "P.dor"
            left = Node(f"{fn}({self.scalar(left)}, lambda: {self.scalar(right)})")
        return left

    def andand(self) -> Node:
        left = self.bitor()
        while self.at_op("&&"):
            self.next()
            right = self.bitor()
            left = Node(f"P.and_({self.scalar(left)}, lambda: {self.scalar(right)})")
        return left

    def bitor(self) -> Node:
        left = self.bitand()
        while self.at_op("|", "^"):
            op = self.next().value
            right = self.bitand()
            left = self.binop(op, left, right)
        return left

    def bitand(self) -> Node:
        left = self.equality()
        while self.at_op("&"):
            self.next()
            right = self.equality()
            left = self.binop("&", left, right)
        return left

    def equality(self) -> Node:
        left = self.relational()
        while self.at_op("==", "!=", "<=>", "eq", "ne", "cmp"):
            op = self.next().value
            right = self.relational()
            left = self.binop(op, left, right)
        return left

    def relational(self) -> Node:
        left = self.uni()
        while self.at_op("<", ">", "<=", ">=", "lt", "gt", "le", "ge"):
            op = self.next().value
            right = self.uni()
            left = self.binop(op, left, right)
        return left

    def uni(self) -> Node:
        return self.shift()

    def shift(self) -> Node:
        left = self.additive()
        while self.at_op("<<", ">>"):
            op = self.next().value
            right = self.additive()
            left = self.binop(op, left, right)
        return left

    def additive(self) -> Node:
        left = self.mult()
        while self.at_op("+", "-", "."):
            op = self.next().value
            right = self.mult()
            left = self.binop(op, left, right)
        return left

    def mult(self) -> Node:
        left = self.bind()
        while self.at_op("*", "/", "%", "x"):
            op = self.next().value
            right = self.bind()
            left = self.binop(op, left, right)
        return left

    def bind(self) -> Node:
        left = self.unary()
        while self.at_op("=~", "!~"):
            op = self.next().value
            t = self.next()
            neg = op == "!~"
            if t.kind == "regex":
                pat, flags = t.value
                node = self.match(left, pat, flags)
            elif t.kind == "subst":
                if neg:
                    raise Unsupported("!~ s///")
                node = self.subst(left, *t.value)
            elif t.kind == "trans":
                node = self.trans(left, *t.value)
            else:
                raise Unsupported("=~ with expression")
            left = Node(f"(not P.truth({node.py}))") if neg else node
        return left

    def match(self, target: Node, pat: str, flags: str) -> Node:
        rx, fl = regex_to_python(pat, flags)
        if "g" in flags:
            return Node(f"P.match_all(V, {self.scalar(target)}, {rx!r}, {fl})", "list")
        return Node(f"P.match(V, {self.scalar(target)}, {rx!r}, {fl})")

    def subst(self, target: Node, pat: str, rep: str, flags: str) -> Node:
        if target.lvalue is None:
            raise Unsupported("s/// on non-lvalue")
        rx, fl = regex_to_python(pat, flags)
        if "e" in flags:
            sub = Parser(Lexer(rep).run(), rep)
            repl = sub.expr()
            fn = f"lambda V: {sub.scalar(repl)}"
        else:
            parts = _interp_parts(rep)
            fn = "lambda V: " + self.interp(parts)
        count = 0 if "g" in flags else 1
        if "r" in flags:
            return Node(f"P.subst_r(V, {self.scalar(target)}, {rx!r}, {fl}, {fn}, {count})")
        return Node(
            f"P.subst(V, {target.py}, lambda _v: {target.lvalue}_v), {rx!r}, {fl}, {fn}, {count})"
        )

    def trans(self, target: Node, a: str, b: str, flags: str) -> Node:
        if set(flags) - set("cdr"):
            raise Unsupported("tr flags")
        if target.lvalue is None:
            raise Unsupported("tr on non-lvalue")
        return Node(
            f"P.trans({target.py}, lambda _v: {target.lvalue}_v), {_tr_set(a)!r}, "
            f"{_tr_set(b)!r}, {flags!r})"
        )

    def unary(self) -> Node:
        t = self.peek()
        if t.kind == "op" and t.value == "!":
            self.next()
            e = self.unary()
            return Node(f"P.not_({self.scalar(e)})")
        if t.kind == "op" and t.value == "-":
            self.next()
            e = self.unary()
            return Node(f"P.neg({self.scalar(e)})")
        if t.kind == "op" and t.value == "+":
            self.next()
            return self.unary()
        if t.kind == "op" and t.value == "~":
            self.next()
            e = self.unary()
            return Node(f"P.bnot({self.scalar(e)})")
        if t.kind == "op" and t.value == "\\":
            self.next()
            e = self.unary()
            return Node(f"P.ref_to({self.scalar(e)})")
        if t.kind == "op" and t.value in ("++", "--"):
            self.next()
            e = self.unary()
            if e.lvalue is None:
                raise Unsupported("++ on non-lvalue")
            d = "1" if t.value == "++" else "-1"
            return Node(f"{e.lvalue}P.num({e.py}) + {d})")
        return self.power()

    def power(self) -> Node:
        left = self.postfix()
        if self.at_op("**"):
            self.next()
            right = self.unary()  # right associative, binds tighter than unary minus on left
            return self.binop("**", left, right)
        return left

    def postfix(self) -> Node:
        e = self.primary()
        while True:
            t = self.peek()
            if t.kind == "op" and t.value in ("++", "--") and e.lvalue:
                self.next()
                d = "1" if t.value == "++" else "-1"
                e = Node(f"P.postinc({e.py}, lambda _v: {e.lvalue}_v), {d})")
                continue
            if t.kind == "op" and t.value == "->":
                self.next()
                if self.at("op", "{"):
                    self.next()
                    key = self.hash_key()
                    self.expect("}")
                    e = self.hash_elem(e, key)
                    continue
                if self.at("op", "["):
                    self.next()
                    idx = self.expr()
                    self.expect("]")
                    e = self.array_elem_of(e.py, idx)
                    continue
                if self.at("word"):
                    name = self.next().value
                    args = []
                    if self.at("op", "("):
                        self.next()
                        if not self.at("op", ")"):
                            args = [self.listify(self.expr())]
                        self.expect(")")
                    return Node(f"P.method_call(V, {e.py}, {name!r}, P.flat({', '.join(args)}))")
                raise Unsupported("-> form")
            if t.kind == "op" and t.value == "{" and e.kind in ("hashref", "elem"):
                self.next()
                key = self.hash_key()
                self.expect("}")
                e = self.hash_elem(e, key)
                continue
            if t.kind == "op" and t.value == "[" and e.kind == "elem":
                self.next()
                idx = self.expr()
                self.expect("]")
                e = self.array_elem_of(e.py, idx)
                continue
            return e

    def hash_key(self) -> str:
        t = self.peek()
        if t.kind == "word" and self.peek(1).kind == "op" and self.peek(1).value == "}":
            self.next()
            return repr(t.value)
        e = self.expr()
        return f"P.pstr({e.py})"

    def hash_elem(self, base: Node, key: str) -> Node:
        node = Node(f"P.hget({base.py}, {key})", "elem")
        node.lvalue = f"P.hset({base.py}, {key}, "
        return node

    def array_elem_of(self, base: str, idx: Node) -> Node:
        node = Node(f"P.aget({base}, {self.scalar(idx)})", "elem")
        node.lvalue = f"P.aset({base}, {self.scalar(idx)}, "
        return node

    def interp(self, parts: list[tuple[str, object]]) -> str:
        pieces = []
        for kind, value in parts:
            if kind == "lit":
                pieces.append(repr(value))
            else:
                sub = Parser(Lexer(str(value)).run(), str(value))
                e = sub.postfix()
                if not sub.at("end"):
                    raise Unsupported(f"interpolation {value!r}")
                if e.kind == "array":
                    pieces.append(f"P.join(' ', {e.py})")
                else:
                    pieces.append(f"P.pstr({e.py})")
        if not pieces:
            return "''"
        return "(" + " + ".join(pieces) + ")"

    def var(self, t: Tok) -> Node:
        sigil, derefs, name = t.value
        if derefs > 1:
            raise Unsupported("multiple deref")
        if derefs == 1:
            # $$self{X} / $$et{X} / $$valPt / @$ref
            if sigil == "$" and self.at("op", "{"):
                base = self.var_node("$", name)
                self.next()
                key = self.hash_key()
                self.expect("}")
                return self.hash_elem(base, key)
            if sigil == "$" and self.at("op", "["):
                base = self.var_node("$", name)
                self.next()
                idx = self.expr()
                self.expect("]")
                return self.array_elem_of(base.py, idx)
            base = self.var_node("$", name)
            node = Node(f"P.deref({base.py})", "array" if sigil == "@" else "scalar")
            if sigil == "$":
                node.lvalue = f"P.deref_set({base.py}, "
            return node
        if sigil == "$" and self.at("op", "["):
            self.next()
            idx = self.expr()
            self.expect("]")
            return self.array_elem_of(f"V.arr({('@' + name)!r})", idx)
        if sigil == "$" and self.at("op", "{") and name not in ("self", "et"):
            self.next()
            key = self.hash_key()
            self.expect("}")
            base = Node(f"V.hash({('%' + name)!r})")
            return self.hash_elem(base, key)
        if (sigil == "$" and name == "#") or (sigil == "$" and name.startswith("#")):
            arr = name[1:] or "_"
            return Node(f"(len(V.arr({('@' + arr)!r})) - 1)")
        return self.var_node(sigil, name)

    def var_node(self, sigil: str, name: str) -> Node:
        if sigil == "$" and name.isdigit():
            return Node(f"P.group(V, {int(name)})")
        if sigil == "$" and name == "&":
            return Node("P.group(V, 0)")
        if sigil == "@":
            node = Node(f"V.arr({('@' + name)!r})", "array")
            node.lvalue = f"V.set_arr({('@' + name)!r}, "
            if self.at("op", "["):
                self.next()
                idx = self.expr()
                self.expect("]")
                return Node(f"P.lslice({node.py}, {self.listify(idx)})", "list")
            return node
        if sigil == "%":
            return Node(f"V.hash({('%' + name)!r})", "hash")
        key = "$" + name
        node = Node(f"V.get({key!r})", "hashref" if name in ("self", "et") else "scalar")
        node.lvalue = f"V.set({key!r}, "
        return node

    def primary(self) -> Node:
        t = self.next()
        if t.kind == "num":
            return Node(repr(t.value))
        if t.kind == "str":
            return Node(self.interp(t.value))
        if t.kind == "qw":
            return Node(repr(list(t.value)), "list")
        if t.kind == "var":
            return self.var(t)
        if t.kind == "regex":
            return self.match(Node("V.get('$_')"), *t.value)
        if t.kind == "subst":
            target = Node("V.get('$_')")
            target.lvalue = "V.set('$_', "
            return self.subst(target, *t.value)
        if t.kind == "trans":
            target = Node("V.get('$_')")
            target.lvalue = "V.set('$_', "
            return self.trans(target, *t.value)
        if t.kind == "op" and t.value == "(":
            if self.at("op", ")"):
                self.next()
                node = Node("[]", "list")
                return self.slice_after(node)
            e = self.expr()
            self.expect(")")
            if e.kind == "list" or self.at("op", "["):
                return self.slice_after(Node(e.py, "list" if e.kind != "scalar" else "paren"))
            inner = Node(f"({e.py})", e.kind, e.lvalue)
            return inner
        if t.kind == "op" and t.value == "[":
            items = "[]" if self.at("op", "]") else self.listify(self.expr())
            self.expect("]")
            return Node(f"P.aref({items})")
        if t.kind == "op" and t.value == "{":
            raise Unsupported("anonymous hash")
        if t.kind == "op" and t.value == "&":
            if self.at("word"):
                return self.call(self.next().value)
            raise Unsupported("& form")
        if t.kind == "word":
            return self.word(t.value)
        raise Unsupported(f"unexpected token {t.value!r}")

    def slice_after(self, node: Node) -> Node:
        if self.at("op", "["):
            self.next()
            idx = self.expr()
            self.expect("]")
            return Node(f"P.lslice({self.listify(node)}, {self.listify(idx)})", "list")
        if node.kind == "paren":
            return Node(f"({node.py})")
        return node

    def word(self, w: str) -> Node:
        if w == "my" or w == "local" or w == "our":
            if self.at("op", "("):
                self.next()
                names = []
                while not self.at("op", ")"):
                    t = self.next()
                    if t.kind == "var":
                        names.append(t.value[0] + t.value[2])
                    elif t.kind == "word" and t.value == "undef":
                        names.append(None)
                    if self.at("op", ","):
                        self.next()
                self.expect(")")
                node = Node("None", "mylist")
                node.lvalue = f"V.set_list({names!r}, "
                return node
            t = self.next()
            if t.kind != "var":
                raise Unsupported("my form")
            sigil, _, name = t.value
            if sigil == "@":
                node = Node(f"V.arr({('@' + name)!r})", "array")
                node.lvalue = f"V.set_arr({('@' + name)!r}, "
                return node
            if sigil == "%":
                raise Unsupported("my %hash")
            return self.var_node("$", name)
        if w == "undef":
            if self.at("var"):
                t = self.next()
                e = self.var(t)
                if e.lvalue:
                    return Node(f"{e.lvalue}None)")
            if self.at("op", "(") and self.peek(1).kind == "op" and self.peek(1).value == ")":
                self.next()
                self.next()
            return Node("None")
        if w == "shift" or w == "pop":
            arr = "V.arr('@_')"
            if self.at("op", "("):
                self.next()
                if not self.at("op", ")"):
                    arr = self.expr().py
                self.expect(")")
            elif self.at("var") and self.peek().value[0] == "@":
                arr = self.var(self.next()).py
            return Node(f"P.{w}_({arr})")
        if w in ("push", "unshift"):
            paren = self.at("op", "(")
            if paren:
                self.next()
            target = self.assign()
            items = []
            while self.at_op(","):
                self.next()
                items.append(self.listify(self.assign()))
            if paren:
                self.expect(")")
            return Node(f"P.{w}({target.py}, P.flat({', '.join(items)}))")
        if w in ("map", "grep"):
            paren = self.at("op", "(")
            if paren:
                self.next()
            if self.at("op", "{"):
                self.next()
                body = self.block_statements()
                self.expect("}")
                if self.at_op(","):
                    self.next()
            else:
                e = self.assign()
                body = [f"_r = {self.scalar(e)}"]
                self.expect(",")
            lst = self.expr()
            if paren:
                self.expect(")")
            self.tmp += 1
            fname = f"_blk{self.tmp}"
            fn_lines = [f"def {fname}(V):", "    _r = None", *_indent(body), "    return _r"]
            self.lines.extend(fn_lines)
            kind = "map_" if w == "map" else "grep"
            return Node(f"P.{kind}(V, {fname}, {self.listify(lst)})", "list")
        if w == "split":
            paren = self.at("op", "(")
            if paren:
                self.next()
            t = self.peek()
            if t.kind == "regex":
                self.next()
                rx, fl = regex_to_python(*t.value)
                pat = f"({rx!r}, {fl})"
            else:
                pe = self.assign()
                pat = f"P.pstr({pe.py})"
            target = "V.get('$_')"
            limit = "0"
            if self.at_op(","):
                self.next()
                target = self.scalar(self.assign())
                if self.at_op(","):
                    self.next()
                    limit = self.scalar(self.assign())
            if paren:
                self.expect(")")
            return Node(f"P.split({pat}, {target}, {limit})", "list")
        if w == "return":
            if self.at("end") or self.at_op(")", ";", "}", ":", "if", "unless"):
                return Node("P.ret(None)")
            e = self.assign()
            return Node(f"P.ret({self.scalar(e)})")
        if w == "wantarray":
            return Node("False")
        if w == "__PACKAGE__":
            return Node("''")
        if w in _BUILTIN or w in _NAMED_UNARY:
            return self.builtin(w)
        if w == "require":
            if self.at("word"):
                self.next()
            return Node("1")
        if w in ("eval", "do", "sub", "local", "goto", "print", "die", "warn"):
            raise Unsupported(f"builtin {w}")
        if w in ("lt", "gt", "le", "ge", "eq", "ne", "cmp", "x", "and", "or", "not"):
            raise Unsupported(f"operator {w} in term position")
        if self.at_op("=>"):
            return Node(repr(w))
        return self.call(w)

    def builtin(self, w: str) -> Node:
        fn = _BUILTIN.get(w)
        args: list[str] = []
        if self.at("op", "("):
            self.next()
            if not self.at("op", ")"):
                e = self.expr()
                args = [self.listify(e)] if w not in _NAMED_UNARY else [self.scalar(e)]
            self.expect(")")
        elif w in _NAMED_UNARY:
            if self.at("end") or self.at_op(
                ")",
                ";",
                "}",
                ",",
                "?",
                ":",
                "=>",
                "and",
                "or",
                "==",
                "!=",
                "<",
                ">",
                "<=",
                ">=",
                "eq",
                "ne",
                "||",
                "&&",
                "if",
                "unless",
            ):
                args = ["V.get('$_')"]
            else:
                e = self.additive()
                args = [self.scalar(e)]
        else:
            if self.at("end") or self.at_op(")", ";", "}"):
                args = []
            else:
                e = self.comma()
                args = [self.listify(e)]
        if w == "defined":
            return Node(f"({args[0]} is not None)" if args else "(V.get('$_') is not None)")
        if w == "exists":
            return Node(f"({args[0]} is not None)")
        if fn is None:
            raise Unsupported(f"builtin {w}")
        if w in _NAMED_UNARY:
            return Node(f"{fn}({', '.join(args)})")
        return Node(
            f"{fn}(P.flat({', '.join(args)}))",
            "list" if w in ("reverse", "sort", "unpack") else "scalar",
        )

    def call(self, name: str) -> Node:
        args = ""
        if self.at("op", "("):
            self.next()
            if not self.at("op", ")"):
                args = self.listify(self.expr())
            self.expect(")")
        elif self.at("end") or self.at_op(
            ")", ";", "}", ",", "?", ":", "eq", "ne", "and", "or", "==", "!=", "."
        ):
            args = ""
        else:
            args = self.listify(self.comma())
        return Node(f"P.call(V, {name!r}, P.flat({args}))")

    # ---- conversions between Perl contexts
    def scalar(self, n: Node) -> str:
        if n.kind == "array":
            return f"len({n.py})"
        if n.kind == "list":
            return f"P.last({n.py})"
        if n.kind == "mylist":
            return "None"
        return n.py

    def listify(self, n: Node) -> str:
        if n.kind in ("array", "list"):
            return n.py
        return f"[{n.py}]"

    def binop(self, op: str, a: Node, b: Node) -> Node:
        x, y = self.scalar(a), self.scalar(b)
        table = {
            "+": "P.add",
            "-": "P.sub",
            "*": "P.mul",
            "/": "P.div",
            "%": "P.mod",
            "**": "P.pow_",
            ".": "P.cat",
            "x": "P.rep",
            "==": "P.num_eq",
            "!=": "P.num_ne",
            "<": "P.num_lt",
            ">": "P.num_gt",
            "<=": "P.num_le",
            ">=": "P.num_ge",
            "<=>": "P.num_cmp",
            "eq": "P.str_eq",
            "ne": "P.str_ne",
            "lt": "P.str_lt",
            "gt": "P.str_gt",
            "le": "P.str_le",
            "ge": "P.str_ge",
            "cmp": "P.str_cmp",
            "&": "P.band",
            "|": "P.bor",
            "^": "P.bxor",
            "<<": "P.shl",
            ">>": "P.shr",
            "||": "P.or_v",
            "&&": "P.and_v",
            "//": "P.dor_v",
        }
        if op == "x" and a.kind == "list":
            return Node(f"P.rep_list({a.py}, {y})", "list")
        return Node(f"{table[op]}({x}, {y})")


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


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def compile_perl(src: str, name: str) -> str:
    """Return Python source defining ``def name(V):`` that evaluates the Perl ``src``.

    ``V`` is the evaluation environment (:class:`worker.media.extract.perl.Env`):
    variables live in it (``$val`` is ``V.get('$val')``), ``$$self{...}`` reaches the
    shared state. The function returns the value of the last statement, like Perl's
    ``eval``.
    """
    text = src.strip()
    if text.startswith("{") and text.endswith("}"):
        inner = text[1:-1]
        if "package " in inner or "use strict" in inner:
            text = inner
    toks = Lexer(text).run()
    parser = Parser(toks, text)
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
