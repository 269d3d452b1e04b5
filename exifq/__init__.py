"""exifq's client side: the ``exifq`` command line (:mod:`exifq.cli`).

Nothing here imports the server packages (``api``, ``worker``) at import time:
only the commands that launch them (``dev``, ``api``, ``worker``, ``beat``,
``--local``) do, inside the command.
"""
