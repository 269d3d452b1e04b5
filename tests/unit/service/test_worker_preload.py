"""The worker's parent process loads the media cores and every tag table before it forks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.stack import REPO

CHECK = """
import json, sys
from worker import tasks
from worker.media.extract import tables
before = tables._active is not None or tables._provider is not None
tasks.preload_media()
loaded = tables.active()
wanted = sorted(set(loaded.modules.values()))
print(json.dumps({"before": before, "missing": [m for m in wanted if m not in loaded._loaded],
                  "media": all(m in sys.modules for m in tasks.MEDIA_MODULES)}))
"""


def _run(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )


def test_preload_loads_every_tag_table_module():
    answer = _run()
    assert answer.returncode == 0, answer.stderr
    loaded = json.loads(answer.stdout.strip().splitlines()[-1])
    assert loaded["before"] is False  # importing the tasks does not load them by itself
    assert loaded["missing"] == [] and loaded["media"]


def test_a_worker_without_exiftool_stops_with_the_install_command():
    answer = _run(EXIFTOOL="/nonexistent/exiftool")
    assert answer.returncode != 0
    assert "apt-get install libimage-exiftool-perl" in answer.stderr
    assert "brew install exiftool" in answer.stderr
