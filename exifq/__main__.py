"""``python -m exifq``: the same as the ``exifq`` command."""

import gc
import sys

gc.disable()  # until the start-up is over (exifq.cli.main says why and resumes it)

from exifq.cli import main  # noqa: E402

sys.exit(main())
