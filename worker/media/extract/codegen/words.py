"""Barewords: ``my``, ``undef``, ``shift``, ``push``, ``map``/``grep``, ``split``, ``return``,
builtins and calls of ExifTool helpers."""

from __future__ import annotations

from .grammar import _BUILTIN, _NAMED_UNARY, Node, _indent
from .lexer import Unsupported
from .regex import regex_to_python


class WordsMixin:
    """What a bareword in term position means."""

    def word(self, w: str) -> Node:
        if self.at_op("=>"):
            return Node(repr(w))  # a bareword before => is a string
        handler = _WORD_HANDLERS.get(w)
        if handler is not None:
            return getattr(self, handler)(w)
        if w in ("keys", "values"):
            return self.w_keys(w)
        if w in _BUILTIN or w in _NAMED_UNARY:
            return self.builtin(w)
        if w in ("eval", "do", "sub", "goto", "print", "die", "warn"):
            raise Unsupported(f"builtin {w}")
        if w in ("lt", "gt", "le", "ge", "eq", "ne", "cmp", "x", "and", "or", "not"):
            raise Unsupported(f"operator {w} in term position")
        return self.call(w)

    def w_constant(self, w: str) -> Node:
        return Node({"wantarray": "False", "__PACKAGE__": "''"}[w])

    def w_keys(self, w: str) -> Node:
        """``keys %h`` / ``values %$ref``: the hash's keys or values as a list."""
        paren = self.open_paren()
        target = self.unary()
        if paren:
            self.expect(")")
        return Node(f"P.{w}({target.py})", "list")

    def w_require(self, w: str) -> Node:
        if self.at("word"):
            self.next()
        return Node("1")

    def w_my(self, w: str) -> Node:
        """``my $x``, ``my @a``, ``my ($a, undef, @rest)`` (``local``/``our`` alike)."""
        if self.at("op", "("):
            self.next()
            names: list[str | None] = []
            while not self.at("op", ")"):
                t = self.next()
                if t.kind == "var":
                    names.append(t.value[0] + t.value[2])
                elif t.kind == "word" and t.value == "undef":
                    names.append(None)
                if self.at("op", ","):
                    self.next()
            self.expect(")")
            return Node("None", "mylist", f"V.set_list({names!r}, ")
        t = self.next()
        if t.kind != "var":
            raise Unsupported("my form")
        sigil, _, name = t.value
        if sigil == "@":
            return Node(f"V.arr({('@' + name)!r})", "array", f"V.set_arr({('@' + name)!r}, ")
        if sigil == "%":
            return Node(f"V.hash({('%' + name)!r})", "hash", f"V.set_hash({('%' + name)!r}, ")
        return self.var_node("$", name)

    def w_undef(self, w: str) -> Node:
        if self.at("var"):
            e = self.var(self.next())
            if e.lvalue:
                return Node(f"{e.lvalue}None)")
        if self.at("op", "(") and self.peek(1).kind == "op" and self.peek(1).value == ")":
            self.next()
            self.next()
        return Node("None")

    def w_shift(self, w: str) -> Node:
        arr = "V.arr('@_')"
        if self.at("op", "("):
            self.next()
            if not self.at("op", ")"):
                arr = self.expr().py
            self.expect(")")
        elif self.at("var") and self.peek().value[0] == "@":
            arr = self.var(self.next()).py
        return Node(f"P.{w}_({arr})")

    def open_paren(self) -> bool:
        if self.at("op", "("):
            self.next()
            return True
        return False

    def w_push(self, w: str) -> Node:
        paren = self.open_paren()
        target = self.assign()
        items = []
        while self.at_op(","):
            self.next()
            items.append(self.listify(self.assign()))
        if paren:
            self.expect(")")
        return Node(f"P.{w}({target.py}, P.flat({', '.join(items)}))")

    def w_splice(self, w: str) -> Node:
        """``splice @a, OFFSET[, LENGTH]``: the array itself is changed, not a copy."""
        paren = self.open_paren()
        target = self.assign()
        if target.kind != "array":
            raise Unsupported("splice of a non-array")
        items = []
        while self.at_op(","):
            self.next()
            items.append(self.listify(self.assign()))
        if paren:
            self.expect(")")
        return Node(f"P.splice({target.py}, P.flat({', '.join(items)}))", "list")

    def w_pos(self, w: str) -> Node:
        paren = self.open_paren()
        target = self.scalar(self.assign()) if not self.at("op", ")") else "V.get('$_')"
        if paren:
            self.expect(")")
        return Node(f"P.pos(V, {target})")

    def w_map(self, w: str) -> Node:
        paren = self.open_paren()
        if self.at("op", "{"):
            self.next()
            body = self.block_statements()
            self.expect("}")
            if self.at_op(","):
                self.next()
        else:
            body = [f"_r = {self.scalar(self.assign())}"]
            self.expect(",")
        lst = self.expr()
        if paren:
            self.expect(")")
        self.tmp += 1
        fname = f"_blk{self.tmp}"
        self.lines.extend([f"def {fname}(V):", "    _r = None", *_indent(body), "    return _r"])
        kind = "map_" if w == "map" else "grep"
        return Node(f"P.{kind}(V, {fname}, {self.listify(lst)})", "list")

    def w_split(self, w: str) -> Node:
        paren = self.open_paren()
        t = self.peek()
        if t.kind == "regex":
            self.next()
            rx, fl = regex_to_python(*t.value)
            pat = f"({rx!r}, {fl})"
        else:
            pat = f"P.pstr({self.assign().py})"
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

    def w_return(self, w: str) -> Node:
        if self.at("end") or self.at_op(")", ";", "}", ":", "if", "unless"):
            return Node("P.ret(None)")
        return Node(f"P.ret({self.scalar(self.assign())})")

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
            if self.at("end") or self.at_op(*_ENDS_UNARY):
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

    def w_delete(self, w: str) -> Node:
        """``delete $h{k}`` / ``delete $$self{Key}``: remove the key, give its value."""
        paren = self.open_paren()
        e = self.unary()
        if paren:
            self.expect(")")
        if e.target is None or e.target[0] != "hash":
            raise Unsupported("delete of something other than a hash element")
        _, base, key = e.target
        return Node(f"P.hdelete({base}, {key})")

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
        if "::" not in name and self.package:
            name = f"{self.package}::{name}"
        return Node(f"P.call(V, {name!r}, P.flat({args}))")


# barewords with a parser of their own -> WordsMixin method
_WORD_HANDLERS = {
    "my": "w_my",
    "local": "w_my",
    "our": "w_my",
    "undef": "w_undef",
    "shift": "w_shift",
    "pop": "w_shift",
    "push": "w_push",
    "unshift": "w_push",
    "splice": "w_splice",
    "delete": "w_delete",
    "pos": "w_pos",
    "map": "w_map",
    "grep": "w_map",
    "split": "w_split",
    "return": "w_return",
    "wantarray": "w_constant",
    "__PACKAGE__": "w_constant",
    "require": "w_require",
}
# what may follow a named unary operator that takes no argument (then it works on $_)
_ENDS_UNARY = (
    *(")", ";", "}", ",", "?", ":", "=>", "and", "or", "||", "&&", "if", "unless"),
    *("==", "!=", "<", ">", "<=", ">=", "eq", "ne"),
)
