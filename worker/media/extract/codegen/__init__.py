"""exifq's generator of ExifTool's tag tables, run on the machine from the installed ExifTool.

:mod:`.exiftool` finds ExifTool and dumps its tables (``dump_tables.pl``);
:mod:`.perl2py` translates their Perl; :mod:`.generate` writes Python modules;
:mod:`.build` does it once per ExifTool version into a cache directory.
Run by hand: ``python -m worker.media.extract.codegen --exiftool PATH --out DIR``.
"""
