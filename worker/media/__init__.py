"""Pure media functions: bytes in, results out, no I/O.

``formats`` sniffs the type from magic bytes, ``decode`` opens images safely,
``extract`` reads metadata, ``strip`` removes it losslessly, ``hashes`` and
``similarity`` fingerprint and compare images. Errors are ``common.errors``.
"""
