"""Terms: postfix chains (``->``, subscripts, ``++``), variables, literals, interpolation."""

from __future__ import annotations

from .grammar import Node
from .lexer import Lexer, Tok, Unsupported


class TermsMixin:
    """Primary expressions and what may follow them."""

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
        node.target = ("hash", base.py, key)
        return node

    def array_elem_of(self, base: str, idx: Node) -> Node:
        node = Node(f"P.aget({base}, {self.scalar(idx)})", "elem")
        node.lvalue = f"P.aset({base}, {self.scalar(idx)}, "
        node.target = ("array", base, self.scalar(idx))
        return node

    def interp(self, parts: list[tuple[str, object]]) -> str:
        pieces = []
        for kind, value in parts:
            if kind == "lit":
                pieces.append(repr(value))
            else:
                sub = type(self)(Lexer(str(value)).run(), str(value))
                sub.package = self.package
                e = sub.postfix()
                if not sub.at("end"):
                    raise Unsupported(f"interpolation {value!r}")
                if e.kind == "array":
                    pieces.append(f"P.join(P.flat([' '], {e.py}))")
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
            kind = {"@": "array", "%": "hash"}.get(sigil, "scalar")
            node = Node(f"P.deref({base.py})", kind)
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
        if sigil == "$" and name == '"':
            return Node("' '")  # $": the list separator
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
                sliced = Node(f"P.lslice({node.py}, {self.listify(idx)})", "list")
                sliced.target = ("slice", node.py, self.listify(idx))  # @a[2,5,8]
                return sliced
            return node
        if sigil == "%":
            return Node(f"V.hash({('%' + name)!r})", "hash", f"V.set_hash({('%' + name)!r}, ")
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
        if t.kind in ("regex", "subst", "trans"):
            return self.topic_operator(t)
        if t.kind == "op":
            return self.bracketed(t.value)
        if t.kind == "word":
            return self.word(t.value)
        raise Unsupported(f"unexpected token {t.value!r}")

    def topic_operator(self, t: Tok) -> Node:
        """``/re/``, ``s///`` or ``tr///`` without ``=~``: they work on ``$_``."""
        target = Node("V.get('$_')")
        if t.kind == "regex":
            return self.match(target, *t.value)
        target.lvalue = "V.set('$_', "
        if t.kind == "subst":
            return self.subst(target, *t.value)
        return self.trans(target, *t.value)

    def bracketed(self, op: str) -> Node:
        """A term opened by an operator: ``( ... )``, ``[ ... ]``, ``&name``."""
        if op == "(":
            if self.at("op", ")"):
                self.next()
                return self.slice_after(Node("[]", "list"))
            e = self.expr()
            self.expect(")")
            if e.kind == "list" or self.at("op", "["):
                kind = "list" if e.kind != "scalar" else "paren"
                return self.slice_after(Node(e.py, kind, e.lvalue if kind == "list" else None))
            return Node(f"({e.py})", e.kind, e.lvalue, e.scalar_py, e.list_py)
        if op == "[":
            items = "[]" if self.at("op", "]") else self.listify(self.expr())
            self.expect("]")
            return Node(f"P.aref({items})")
        if op == "{":
            items = "[]" if self.at("op", "}") else self.listify(self.expr())
            self.expect("}")
            return Node(f"P.ahash({items})", "hashref")
        if op == "&" and self.at("word"):
            return self.call(self.next().value)
        if op in ("@", "%", "$") and self.at("op", "{"):  # @{$$self{PATH}}, %{...}, ${...}
            self.next()
            ref = self.expr()
            self.expect("}")
            kind = {"@": "array", "%": "hash"}.get(op, "scalar")
            node = Node(f"P.deref({self.scalar(ref)})", kind)
            if op == "$":
                node.lvalue = f"P.deref_set({self.scalar(ref)}, "
            return node
        raise Unsupported(f"unexpected token {op!r}")

    def slice_after(self, node: Node) -> Node:
        if self.at("op", "["):
            self.next()
            idx = self.expr()
            self.expect("]")
            return Node(f"P.lslice({self.listify(node)}, {self.listify(idx)})", "list")
        if node.kind == "paren":
            return Node(f"({node.py})")
        return node
