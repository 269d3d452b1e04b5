"""ExifTool helper functions that the translated table expressions call, registered by name.

The Perl in ExifTool's tag tables calls helpers by name
(``Image::ExifTool::Canon::CanonEv($val)``, ``$self->Decode($val, 'UCS2')``,
``Get16u($dataPt, $pos)``, ``PrintExposureTime($val)``). These are their Python
equivalents, written from the behaviour documented in the ExifTool sources named in
each docstring; importing this package registers them in :mod:`..perl` under the
names the expressions use (``Pkg::Name`` for a module's own subs, the bare name for
ExifTool.pm's). A test checks that every name the built tables call resolves.
"""

from . import core, exif, makers, nikon, printing, video  # noqa: F401 - registers the helpers
from .exif import convert_xmp_date

__all__ = ["convert_xmp_date"]
