"""ExifTool's tables built from the installed ExifTool: the cache, the lock, what they call.

The tables are never in git; a build lives in ``<cache>/exiftool-<version>-<generator
hash>/``, made once even when several processes start at once, and every ExifTool
helper its expressions call resolves to one of ours.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from tests.support.exiftools import ExifToolVersion
from tests.unit.media.conftest import is_newest
from worker.media.extract import engine, perl, tables
from worker.media.extract.codegen.build import build_name
from worker.media.extract.codegen.exiftool import ExifToolNotFound, locate

REPO = Path(__file__).resolve().parents[3]


def test_every_helper_the_tables_call_resolves(
    version_tables: tables.TableSet, exiftool_version: ExifToolVersion
) -> None:
    """Debian's must all resolve; what the newest adds is reported (a warning), not fatal."""
    manifest = version_tables.manifest
    assert manifest["functions"] and manifest["methods"]
    missing = [name for name in manifest["functions"] if perl.resolve(name) is None]
    missing += [name for name in manifest["methods"] if name not in perl.METHODS]
    message = f"ExifTool {version_tables.version} calls helpers we lack: {missing}"
    if missing and is_newest(exiftool_version):
        warnings.warn(message, stacklevel=1)
        return
    assert not missing, message


def test_generated_functions_carry_their_perl_and_tags_are_in_numeric_order(
    version_tables: tables.TableSet,
) -> None:
    module = version_tables.module("exif")
    table = version_tables.get("Exif::Main")
    ids = [key for key in table.tags if isinstance(key, int)]
    assert ids == sorted(ids) and len(ids) > 400
    source = (version_tables.path / "exif.py").read_text()
    exposure = table.tags[0x829A][0]  # ExposureTime: PrintConv 'Image::ExifTool::Exif::...'
    assert exposure.name == "ExposureTime"
    assert "PrintExposureTime" in perl.perl_source(exposure.print_conv)
    functions = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    lines = source.splitlines()
    assert all(lines[f.lineno - 2].startswith("# ") for f in functions)
    assert module.TABLES["Exif::Main"] is table


def test_no_generated_translation_of_exiftool_is_in_git() -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert not [f for f in files if f.startswith("worker/media/extract/tables/")]
    big_python = [f for f in files if f.endswith(".py") and (REPO / f).stat().st_size > 60_000]
    assert not big_python, f"large generated-looking modules in git: {big_python}"
    ignored = (REPO / ".gitignore").read_text()
    assert "/worker/media/extract/tables/" in ignored


def test_one_build_when_several_processes_start_at_once(
    tmp_path: Path, exiftool_version: ExifToolVersion
) -> None:
    """Three processes ask for the same tables in a fresh cache: one builds, all use it."""
    script = (
        "import sys, time; from worker.media.extract import engine; t = time.perf_counter(); "
        "ts = engine.load_tables(sys.argv[1], sys.argv[2]); "
        "print(ts.path, ts.manifest['seconds']['total'], time.perf_counter() - t)"
    )
    cache = tmp_path / "cache"
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(exiftool_version.program), str(cache)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=600)[0].split() for p in procs]
    elapsed = time.perf_counter() - started
    assert all(p.returncode == 0 for p in procs)
    paths = {out[0] for out in outputs}
    assert paths == {str(cache / build_name(locate(exiftool_version.program)))}
    built = [p for p in cache.iterdir() if p.is_dir()]
    assert len(built) == 1, built  # no leftover temporary directories
    manifest = json.loads((built[0] / "manifest.json").read_text())
    assert manifest["exiftool"]["version"] == exiftool_version.version
    took = f"build {manifest['seconds']}, 3 processes {elapsed:.1f} s"
    print(f"\nExifTool {exiftool_version.version}: {took}")


def test_without_exiftool_one_error_names_the_install_commands(tmp_path: Path) -> None:
    for spec in (None, tmp_path / "missing", tmp_path):
        with pytest.raises(ExifToolNotFound) as error:
            engine.use_exiftool(spec, tmp_path / "cache")
        assert "apt-get install libimage-exiftool-perl" in str(error.value)
        assert "brew install exiftool" in str(error.value)
    assert not (tmp_path / "cache").exists()


def test_a_lib_directory_names_exiftool_too(exiftool_version: ExifToolVersion) -> None:
    found = locate(exiftool_version.program)
    assert locate(found.lib).module == found.module
    assert locate(found.lib).version == exiftool_version.version


def test_extracting_before_choosing_tables_says_what_to_do() -> None:
    with (
        tables.using(None),  # type: ignore[arg-type]
        pytest.raises(tables.TablesNotLoaded, match="use_exiftool"),
    ):
        tables.get_table("Exif::Main")


def test_doctor_tells_where_everything_is(version_tables: tables.TableSet) -> None:
    version = version_tables.manifest["exiftool"]
    report = engine.doctor(Path(version["module"]).parent.parent, version_tables.path.parent)
    text = "\n".join(report.lines())
    assert f"ExifTool {version_tables.version}" in text and str(version_tables.path) in text
    assert "expressions compiled:" in text and "left out (untranslated): 0" in text


def test_a_cache_that_cannot_be_written_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(engine.TablesUnavailable, match="TABLES_DIR"):
        engine.load_tables(shutil.which("exiftool"), blocker / "tables")
