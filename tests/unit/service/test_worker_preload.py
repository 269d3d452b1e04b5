"""The worker's parent process loads the media cores and every tag table before it forks."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.stack import REPO

CHECK = """
import json, sys
from worker import tasks
tables = "worker.media.extract.tables."
before = sorted(name for name in sys.modules if name.startswith(tables))
tasks.preload_media()
from worker.media.extract.tables import MODULES
wanted = sorted(tables + module for module in set(MODULES.values()))
print(json.dumps({"before": before, "missing": [m for m in wanted if m not in sys.modules],
                  "media": all(m in sys.modules for m in tasks.MEDIA_MODULES)}))
"""


def test_preload_loads_every_tag_table_module():
    answer = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded = json.loads(answer.stdout.strip().splitlines()[-1])
    assert loaded["before"] == []  # importing the tasks does not load them by itself
    assert loaded["missing"] == [] and loaded["media"]
