"""XMP that a strict XML parser rejects, read the way ExifTool's own scanner reads it.

ExifTool does not parse XMP as XML: it scans for ``<name attrs>`` tokens and, for each,
the next closing token of the same name (counting nested ones), so it reads packets
with junk after the root element, with a token that is never closed (what precedes it
at its level is kept, what follows is dropped, with a warning), with element names
containing ``/`` (``<ns:A/B>``: the name ends at the ``/``), with undeclared namespace
prefixes or with bare ``&``. This module rebuilds an ElementTree from such a packet with
the same rules, so :class:`~worker.media.extract.xmp.XmpReader` reads what ExifTool reads.

It is safe by construction: only the five predefined XML entities and character
references are decoded (no DTD, no entity declarations, no external references; a
``<!DOCTYPE`` is skipped as text); closing tokens are found by plain string search
(no pattern compiled per name), the nesting depth is bounded, and so is the number of
tokens visited in all (each level rescans its content, as ExifTool does): a hostile
32 MB packet costs a few seconds at most, and what was read by then is kept.
"""

from __future__ import annotations

import html
import re
from functools import cache
from xml.etree.ElementTree import Element

XML_NS = "http://www.w3.org/XML/1998/namespace"
UNDECLARED = "urn:exifq:undeclared-prefix:"  # URI given to a prefix the packet never declares
MAX_DEPTH = 40
MAX_TOKENS = 500_000  # tokens visited in all (levels rescan their content): ~2 s at most

_NAME = r"[-\w:.\x80-\U0010ffff]"


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(name character, token, attribute, entity), compiled at first use: the name class
    spans all of Unicode and costs ~10 ms to compile, which most files never need."""
    return (
        re.compile(_NAME),
        re.compile(r"<([?/]?)(" + _NAME + r"+|!--)([^>]*)>", re.S),
        re.compile(r"(\S+?)\s*=\s*(['\"])(.*?)\2", re.S),
        re.compile(r"&(amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});"),
    )


def unescape(text: str) -> str:
    """The predefined entities and character references decoded; any other ``&`` kept."""
    return _patterns()[3].sub(lambda m: html.unescape(m.group(0)), text)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.warnings: list[str] = []
        self.budget = MAX_TOKENS
        self.last_gt = text.rfind(">")  # no token can end after it (bounds each search)

    def _spend(self) -> bool:
        """Count one token visited; ``False`` once the budget is spent (warned once)."""
        self.budget -= 1
        if self.budget == 0:
            self.warnings.append("XMP format error (too convoluted to recover whole)")
        return self.budget > 0

    def elements(self, start: int, end: int, scope: dict[str, str], depth: int) -> list[Element]:
        """The elements between ``start`` and ``end`` (one level), as ExifTool delimits them."""
        out: list[Element] = []
        pos = start
        while pos <= end - 4 and depth <= MAX_DEPTH and self._spend():
            m = _patterns()[1].search(self.text, pos, self.last_gt + 1)
            if m is None or m.end() > end:
                break
            pos = m.end()
            closing, name, attrs = m.groups()
            if closing:
                continue
            if name == "!--":
                if attrs.endswith("--"):
                    continue
                close = self.text.find("-->", pos)
                if close < 0:
                    break
                pos = close + 3
                continue
            empty = attrs.endswith("/")
            attrs = attrs[:-1] if empty else attrs
            value_end = pos if empty else self._closing(name, pos, end)
            if value_end is None:
                self.warnings.append(f"XMP format error (no closing tag for {name})")
                break
            out.append(self._element(name, attrs, pos, value_end, scope, depth))
            if not empty:
                pos = self.text.index(">", value_end) + 1
        return out

    def _closing(self, name: str, pos: int, end: int) -> int | None:
        """Where the value of ``<name>`` opened before ``pos`` ends (its closing token).

        Same-named tokens are counted (``<name>`` nests, ``<name/>`` does not); a token
        whose name only starts with ``name`` is another element. Plain string search,
        no pattern per name: a packet with many names costs no regex compilations."""
        text = self.text
        opening, closing = "<" + name, "</" + name
        nesting = 1
        at_close = -2  # not searched yet; -1: there is none (from here on)
        while self._spend():
            if at_close == -2 or 0 <= at_close < pos:
                at_close = text.find(closing, pos, end)
            at_open = text.find(opening, pos, at_close if at_close >= 0 else end)
            is_close = at_close >= 0 and at_open < 0
            start = at_close if is_close else at_open
            if start < 0:
                return None
            after = start + len(closing if is_close else opening)
            gt = text.find(">", after, end)
            if gt < 0:
                return None
            pos = gt + 1
            if _patterns()[0].match(text, after):
                continue  # another element whose name starts with this one
            if is_close:
                nesting -= 1
                if not nesting:
                    return start
            elif text[gt - 1] != "/":
                nesting += 1
        return None

    def _element(
        self, name: str, attrs: str, start: int, end: int, scope: dict[str, str], depth: int
    ) -> Element:
        pairs = [(key, unescape(value)) for key, _, value in _patterns()[2].findall(attrs)]
        declared = {k[6:]: v for k, v in pairs if k.startswith("xmlns:")}
        if declared:
            scope = {**scope, **declared}
        el = Element(
            _qualified(name, scope),
            {_qualified(k, scope): v for k, v in pairs if not k.startswith("xmlns")},
        )
        children = self.elements(start, end, scope, depth + 1) if end > start else []
        if children:
            el.extend(children)
        else:
            el.text = unescape(self.text[start:end])
        return el


def _qualified(name: str, scope: dict[str, str]) -> str:
    prefix, colon, local = name.partition(":")
    if not colon:
        return name
    if prefix == "xml":
        return f"{{{XML_NS}}}{local}"
    return f"{{{scope.get(prefix, UNDECLARED + prefix)}}}{local}"


def recover(text: str) -> tuple[Element, list[str]]:
    """A root element holding the packet's top-level elements, and ExifTool's warnings."""
    scanner = _Scanner(text)
    root = Element("recovered")
    root.extend(scanner.elements(0, len(text), {}, 0))
    return root, scanner.warnings
