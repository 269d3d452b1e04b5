"""The documentation holds together: links stay inside the repository and resolve, the
README starts with the two commands that matter, and docs/settings.md is current.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from common.settings import Settings
from tests.support import settings_doc

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}

FENCE = re.compile(r"^ {0,3}(```|~~~)[^\n]*\n.*?^ {0,3}\1[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^)]*)?\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^\s>]+)>")
HTML_ATTRIBUTE = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
BARE_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>()\[\]`]+", re.I)
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.M)


def prose(text: str) -> str:
    """``text`` without fenced code blocks, code spans and HTML comments (no links there)."""
    return CODE_SPAN.sub("", FENCE.sub("", HTML_COMMENT.sub("", text)))


def links(text: str) -> list[str]:
    """Every link target of a Markdown text: inline, reference, autolink, HTML, bare URL."""
    body = prose(text)
    found = [m.group(1) for m in INLINE_LINK.finditer(body)]
    found += [m.group(1) for m in REFERENCE.finditer(body)]
    found += [m.group(1) for m in AUTOLINK.finditer(body)]
    found += [m.group(1) for m in HTML_ATTRIBUTE.finditer(body)]
    without_links = AUTOLINK.sub("", REFERENCE.sub("", INLINE_LINK.sub("", body)))
    found += [m.group(0).rstrip(".,;:!?'\"") for m in BARE_URL.finditer(without_links)]
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a Markdown page's headings, numbered as GitHub numbers repeats."""
    seen: dict[str, int] = {}
    result = set()
    for match in HEADING.finditer(FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def problem(page: Path, target: str, root: Path = ROOT) -> str | None:
    """Why ``target`` (a link in ``page``) is not acceptable, or ``None`` when it is."""
    parts = urlsplit(target)
    if parts.scheme or target.startswith("//"):
        if parts.scheme in ("http", "https") and (parts.hostname or "") in LOCAL_HOSTS:
            return None
        return "leaves the repository"
    if parts.path.startswith("/"):
        return "an absolute path (write it relative to the page)"
    path = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
    if not path.is_relative_to(root.resolve()):
        return "points outside the repository"
    if not path.exists():
        return "no such file"
    if parts.fragment and path.suffix == ".md" and parts.fragment not in anchors(path):
        return f"no heading #{parts.fragment} in {path.relative_to(root.resolve())}"
    return None


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_stays_inside_the_repository_and_resolves(page: Path) -> None:
    bad = [
        f"{target}: {why}"
        for target in links(page.read_text(encoding="utf-8"))
        if (why := problem(page, target)) is not None
    ]
    assert not bad, f"{page.relative_to(ROOT)}:\n  " + "\n  ".join(bad)


def test_the_link_checker_refuses_what_it_should(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## Known `heading`, here\n")
    page = tmp_path / "docs" / "page.md"
    text = """# Page
[ok](other.md) [ok anchor](other.md#known-heading-here) [self](#page)
![image](other.md) <a href="other.md">html</a> [local](http://127.0.0.1:8000/docs/)
[missing](nothing.md) [bad anchor](other.md#no-such-heading) [out](../../etc/passwd)
[web](https://example.com/x) <https://example.org> see https://example.net/page.
[ref]: https://example.com/ref
`[in code](https://example.com/code)`

```sh
curl https://example.com/in-a-fence [x](missing-in-fence.md)
```
"""
    page.write_text(text)
    verdicts = {target: problem(page, target, tmp_path) for target in links(text)}
    assert verdicts == {
        "other.md": None,
        "other.md#known-heading-here": None,
        "#page": None,
        "http://127.0.0.1:8000/docs/": None,
        "nothing.md": "no such file",
        "other.md#no-such-heading": "no heading #no-such-heading in docs/other.md",
        "../../etc/passwd": "points outside the repository",
        "https://example.com/x": "leaves the repository",
        "https://example.org": "leaves the repository",
        "https://example.net/page": "leaves the repository",
        "https://example.com/ref": "leaves the repository",
    }


def commands(block: str) -> list[str]:
    """The commands of a shell code block: its lines without comments and blank lines."""
    lines = (re.sub(r"(^|\s+)#.*$", "", line).strip() for line in block.splitlines())
    return [line for line in lines if line]


def test_the_readme_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("# "), "the README starts with its title"
    first = FENCE.search(text)
    assert first is not None
    before = text[: first.start()].strip()
    assert before == lines[0], "the first code block comes right after the title"
    block = first.group(0).split("\n", 1)[1].rsplit("\n", 1)[0]
    assert commands(block) == ["pip install -e . && exifq dev", "bash tests/run.sh"]
    assert all("#" in line for line in block.splitlines() if line.strip()), "each has a comment"


def test_ci_runs_the_readme_test_command() -> None:
    ci = ROOT / ".ci" / "run"
    assert ci.stat().st_mode & stat.S_IXUSR, ".ci/run is executable"
    runs = commands(ci.read_text(encoding="utf-8"))
    assert any(re.fullmatch(r"(exec\s+)?bash\s+tests/run\.sh(\s+.*)?", line) for line in runs)
    assert "pytest" in (ROOT / "tests" / "run.sh").read_text(encoding="utf-8")


def test_every_setting_has_a_description() -> None:
    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert not missing, f"common/settings.py: add description= to {missing}"


def test_settings_page_is_current() -> None:
    page = ROOT / "docs" / "settings.md"
    assert page.read_text(encoding="utf-8") == settings_doc.render(), (
        "docs/settings.md is stale: run python -m tests.support.settings_doc"
    )
    for name in Settings.model_fields:
        assert f"| `{name}` |" in settings_doc.render()
