"""What one ``exifq OPERATION`` run against a server works on: its inputs, its batches, and
where cleaned files go; and the command that resumes it (``--batch UUID,...``)."""

from __future__ import annotations

import argparse
import functools
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from common import operations
from common.names import relative_name
from exifq.inputs import InputError, beside, collect_inputs, names_one_file, output_path
from exifq.sources import Input


@dataclass
class Plan:
    """What one run works on: the local inputs (if any) and where cleaned files go."""

    command: str  # the command-line name (``strip``)
    op: str  # the operation's API name (``remove``)
    produces_file: bool  # completed items have a file to download
    inputs: list[Input]
    single_file: bool  # exactly one FILE argument, a file: print one JSON object
    output: str | None
    resuming: bool
    arguments: list[str] = field(default_factory=list)  # the FILE arguments as given
    # The run's batches in order: UUID, and the index in ``inputs`` of its first file.
    batches: list[tuple[str, int]] = field(default_factory=list)
    sent: int = 0  # how many of ``inputs`` those batches hold

    def target(self, index: int, name: str) -> Path:
        """Where the cleaned file of input ``index`` named ``name`` goes (``UnsafeName`` if the
        name would escape the output directory)."""
        if self.output is not None:
            out = Path(self.output)
            if self.output_is_file():
                return out
            return output_path(out, name)
        if not self.resuming and index < len(self.inputs):
            return beside(self.inputs[index].path)
        local = self.by_name.get(name)
        return beside(local) if local else beside(output_path(Path.cwd(), name))

    @functools.cached_property
    def by_name(self) -> dict[str, Path]:
        """Each input's path by the item name the server gives it (to find it when resuming)."""
        return {relative_name(item.name): item.path for item in self.inputs}

    def output_is_file(self) -> bool:
        """``-o`` names the output file (one file, and not a directory, nor ending in ``/``)."""
        out = self.output or ""
        return self.single_file and not out.endswith("/") and not Path(out).is_dir()


def make_plan(args: argparse.Namespace) -> Plan:
    """The inputs the arguments name; ``InputError`` when there are none or they clash."""
    inputs = collect_inputs(args.files) if args.files else []
    if not inputs and not args.batch:
        raise InputError(
            " ".join(args.files),
            "no_files",
            "no files found (hidden and special files and symbolic links inside "
            "directories are skipped)",
        )
    single = names_one_file(args.files)
    output = getattr(args, "output", None)
    op = operations.get(args.command)
    plan = Plan(args.command, op.name, op.produces_file, inputs, single, output, bool(args.batch))
    plan.arguments = list(args.files)
    plan.batches = [(batch_id, 0) for batch_id in args.batch or []]
    return plan


def resume_command(plan: Plan) -> str:
    """The command that resumes watching the run's batches: the files only matter to strip
    writing beside them."""
    argv = ["exifq", plan.command, "--batch", ",".join(batch_id for batch_id, _ in plan.batches)]
    if plan.output is not None:  # a directory keeps a trailing "/", so resuming reads it so
        argv += ["-o", plan.output if plan.output_is_file() else plan.output.rstrip("/") + "/"]
    elif plan.produces_file:
        argv += plan.arguments
    return shlex.join(argv)
