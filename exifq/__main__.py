"""``python -m exifq``: the same as the ``exifq`` command."""

import sys

from exifq.cli import main

sys.exit(main())
