"""Statements of the Perl subset: blocks, ``if``/``unless``, loops, ``return``, modifiers.

:class:`ParserBase` holds the token cursor and Perl's context conversions (scalar,
list); the expression and term mixins (:mod:`.expressions`, :mod:`.terms`,
:mod:`.words`) complete the parser in :mod:`.perl2py`.
"""

from __future__ import annotations

from .grammar import Node, _indent
from .lexer import Tok, Unsupported


class ParserBase:
    def __init__(self, toks: list[Tok], src: str) -> None:
        self.toks = toks
        self.k = 0
        self.src = src
        self.lines: list[str] = []
        self.tmp = 0
        self.package = ""

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
            cond = Node("1") if self.at("op", ";") else self.expr()
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
        if alias and lst.target and lst.target[0] == "slice":  # foreach (@a[2,5,8])
            _, array, indices = lst.target
            return [
                f"_l{n} = {array}",
                f"for _i{n} in P.slice_indices(_l{n}, {indices}):",
                f"    {var} = _l{n}[_i{n}]",
                *_indent(body),
                f"    _l{n}[_i{n}] = {var}",
            ]
        return [f"for _x{n} in list({self.listify(lst)}):", f"    {var} = _x{n}", *_indent(body)]

    def scalar(self, n: Node) -> str:
        if n.scalar_py is not None:
            return n.scalar_py
        if n.kind == "array":
            return f"len({n.py})"
        if n.kind == "list":
            return f"P.last({n.py})"
        if n.kind == "mylist":
            return "None"
        return n.py

    def listify(self, n: Node) -> str:
        if n.list_py is not None:
            return n.list_py
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
