"""Development-time generator of ``worker.media.extract.tables`` from ExifTool's tag tables.

Not imported at run time. See :mod:`.generate`.
"""
