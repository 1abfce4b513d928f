"""Every internal link of README.md and docs/*.md resolves: the file exists, and a #anchor names a heading.

Anchors are GitHub's heading slugs, so a link that works here works on the repository's web page.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`[^`]*`")
# [text](target) and ![alt](target); the target ends at whitespace (an optional "title" follows) or ')'
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:, ...


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks, inline code removed."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, INLINE_CODE.sub("", line)))
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)  # \w keeps letters of every script (中文) and '_'
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a file's headings; a repeated slug gets -1, -2, ... as on GitHub."""
    seen: Counter[str] = Counter()
    found = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            base = slug(match.group(2))
            found.add(base if not seen[base] else f"{base}-{seen[base]}")
            seen[base] += 1
    return found


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    problems = []
    for number, line in prose_lines(path.read_text(encoding="utf-8")):
        for target in LINK.findall(line):
            if EXTERNAL.match(target):
                continue
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / unquote(file_part)).resolve() if file_part else path
            where = f"{path.relative_to(root)}:{number}: ({target})"
            if not dest.exists():
                problems.append(f"{where} no such file {dest.relative_to(root)}")
            elif anchor and dest.suffix == ".md" and unquote(anchor).lower() not in anchors(dest):
                problems.append(f"{where} no heading with anchor #{anchor} in {dest.relative_to(root)}")
    return problems


def test_every_internal_link_and_anchor_resolves():
    problems = [problem for path in markdown_files() for problem in broken_links(path)]
    assert not problems, "broken links:\n" + "\n".join(problems)


def test_the_checker_names_a_broken_file_and_a_broken_anchor(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Live captions on a GPU: measured\n\n## Retention\n")
    readme = tmp_path / "README.md"
    readme.write_text(
        "[ok](docs/a.md#live-captions-on-a-gpu-measured) [ok](#see) [gone](docs/b.md)\n"
        "[bad](docs/a.md#retention-policy) `[code](nowhere.md)` [web](https://example.com/x)\n"
        "```\n[fenced](nowhere.md)\n```\n## See\n"
    )
    problems = broken_links(readme, root=tmp_path)
    assert problems == [
        "README.md:1: (docs/b.md) no such file docs/b.md",
        "README.md:2: (docs/a.md#retention-policy) no heading with anchor #retention-policy in docs/a.md",
    ]
