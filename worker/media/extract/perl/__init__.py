"""Perl value semantics for the conversions generated from ExifTool's tag tables.

ExifTool's tables carry small Perl expressions (``$val / 100``,
``$$self{Model} =~ /EOS 5D/``, ``my @a = split ' ', $val; ...``);
:mod:`..codegen.perl2py` translates them into Python that calls the helpers here
(as ``P.name``), so a value behaves as in Perl: a string and a number are one scalar
type (``"12abc" + 1 == 13``, ``3.0`` prints as ``3``), ``undef`` is ``None``, strings
hold bytes (latin-1 ``str``, the same code points as the bytes), lists flatten.

The modules: :mod:`.scalars` (values, operators), :mod:`.data` (arrays, hashes,
builtins), :mod:`.text` (``substr``, ``split``, ``sprintf``, regexes),
:mod:`.packing` (``pack``/``unpack``), :mod:`.conversions` (hash and list
conversions), :mod:`.calls` (helpers, :func:`evaluate`) and :mod:`.failures`.

Reference: perlop, perldata, perlfunc (``pack``, ``unpack``, ``sprintf``, ``split``).
"""

from .calls import *  # noqa: F403
from .conversions import *  # noqa: F403
from .data import *  # noqa: F403
from .failures import *  # noqa: F403
from .packing import *  # noqa: F403
from .scalars import *  # noqa: F403
from .text import *  # noqa: F403
