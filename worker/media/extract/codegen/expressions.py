"""Perl operators by precedence, lowest first (perlop "Operator Precedence and Associativity")."""

from __future__ import annotations

from .grammar import Node
from .lexer import Lexer, Unsupported, _interp_parts, _tr_set
from .regex import regex_to_python


class ExpressionsMixin:
    """``or`` down to ``**``; each level returns a :class:`Node`."""

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
        node = Node("P.flat(" + ", ".join(self.listify(i) for i in items) + ")", "list")
        if all(i.lvalue and i.kind in ("scalar", "elem") for i in items):
            setters = ", ".join(f"lambda _v: {i.lvalue}_v)" for i in items)
            node.lvalue = f"P.assign_list([{setters}], "  # ($a, $b) = ...
        return node

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
            if left.kind in ("array", "mylist", "list", "hash"):
                return Node(f"{left.lvalue}{self.listify(right)})", "list")
            value = self.scalar(right)
        else:
            bop = op[:-1]
            cur = Node(left.py)
            value = self.binop(bop, cur, right).py
        return Node(f"{left.lvalue}{value})", lvalue=left.lvalue)  # ($x = ...) =~ s///

    def ternary(self) -> Node:
        cond = self.range_()
        if self.at("op", "?"):
            self.next()
            a = self.assign()
            self.expect(":")
            b = self.assign()
            test = f"P.truth({self.scalar(cond)})"
            scalar = f"({self.scalar(a)} if {test} else {self.scalar(b)})"
            if {a.kind, b.kind} & {"list", "array"}:  # ... ? @a : reverse @a
                listed = f"({self.listify(a)} if {test} else {self.listify(b)})"
                return Node(listed, "list", scalar_py=scalar)
            return Node(scalar)
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
            args = f"V, {self.scalar(target)}, {rx!r}, {fl}"
            return Node(f"P.match_all({args})", "list", scalar_py=f"P.match_next({args})")
        args = f"V, {self.scalar(target)}, {rx!r}, {fl}"
        return Node(f"P.match({args})", list_py=f"P.match_groups({args})")

    def subst(self, target: Node, pat: str, rep: str, flags: str) -> Node:
        if target.lvalue is None:
            raise Unsupported("s/// on non-lvalue")
        rx, fl = regex_to_python(pat, flags)
        if "e" in flags:
            sub = type(self)(Lexer(rep).run(), rep)
            sub.package = self.package
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
            if e.lvalue and e.kind == "elem":  # \$_[0]: writes go back to $_[0]
                return Node(f"P.LvRef(lambda: {e.py}, lambda _v: {e.lvalue}_v))")
            if e.kind in ("array", "hash"):  # \@a, \%h: the array or hash itself (a list
                return Node(e.py)  # or dict is what stands for a reference to one here)
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
