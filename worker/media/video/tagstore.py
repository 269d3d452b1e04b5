"""Where container tags accumulate: ExifTool's duplicate-tag rule, as ``exiftool -j -G1`` shows it.

ExifTool keeps every occurrence of a tag name (``FoundTag`` in ``ExifTool.pm``): one is the
*primary* (a later occurrence takes over when its priority is at least the primary's, a
stored priority of 0 counting as 1), the others become duplicates. ``exiftool -j -G1``
prints, for each family-1 group, the primary when it is in that group, else the first
occurrence found in that group. :class:`VideoTagStore` keeps exactly that selection, so a
video's two ``hdlr`` boxes per track read as ExifTool reads them. ``set_group1`` is
ExifTool's ``SET_GROUP1``: while set (inside a ``trak``, a Matroska track or chapter) it
names the group of every tag found.
"""

from __future__ import annotations

from worker.media.extract.tabletypes import Tag
from worker.media.extract.tagstore import Found, TagStore


class VideoTagStore(TagStore):
    """A :class:`TagStore` with ExifTool's primary/duplicate selection across groups."""

    def __init__(self) -> None:
        super().__init__()
        self.set_group1: str | None = None
        self._primary: dict[str, tuple[str, int]] = {}  # name -> (group, stored priority)
        self._first: dict[str, dict[str, Found]] = {}  # group -> name -> first occurrence

    def add(self, group1: str, group0: str, tag: Tag, value: object, priority: int | None) -> None:
        group1 = self.set_group1 or group1
        name = tag.name
        found = Found(tag, value, priority)
        shown = self.found.get(group1)
        if shown is None:
            shown = self.found[group1] = {}
            self.group0[group1] = group0
        first = self._first.setdefault(group1, {})
        first.setdefault(name, found)
        new = 1 if priority is None else priority
        old = self._primary.get(name)
        if old is None or new >= (old[1] or 1):
            if old is not None and old[0] != group1:
                self.found[old[0]][name] = self._first[old[0]][name]
            self._primary[name] = (group1, new)
            shown[name] = found
        elif name not in shown:
            shown[name] = found
