"""An MkDocs hook: the guide pages of the site are the README's sections.

The README stays the one text (GitHub shows it, ``tests/test_readme.py`` runs its
examples); this hook cuts it at its ``##`` headings into pages, one per section, with
the text before the first heading as the home page. On each page the headings move up
one level (the section's ``##`` is the page title). Links are kept working across the
cut: ``(#anchor)`` to a heading now on another page becomes ``(page.md#anchor)``, and a
link to a file of the repository (``experiments/stutterfly.toml``) adds that file to the
site at the same path. The guide's entries are put first in the navigation, before
what ``mkdocs.yml`` lists (the API reference).

No plugin does this: include-markdown can take a README section by its delimiters, but
it does not move the in-page links to the page that now holds their heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markdown.extensions.toc import slugify
from mkdocs.structure.files import File, Files

_FENCE = re.compile(r"^(```|~~~)")
_HEADING = re.compile(r"^(#{1,6}) (.*)$")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
GUIDE = "guide"


@dataclass
class Page:
    """One page cut from the README."""

    title: str
    uri: str  # relative to the docs folder
    lines: list[str]


def _outside_fences(lines: list[str]) -> list[bool]:
    """For each line, whether it is outside fenced code blocks (and is no fence itself)."""
    flags, inside = [], False
    for line in lines:
        fence = bool(_FENCE.match(line))
        flags.append(not inside and not fence)
        inside ^= fence
    return flags


def split_readme(text: str) -> list[Page]:
    """The home page (before the first ``##``) and one page per ``##`` section."""
    lines = text.splitlines()
    pages = [Page("Home", "index.md", [])]
    for line, outside in zip(lines, _outside_fences(lines), strict=True):
        heading = _HEADING.match(line) if outside else None
        if heading and len(heading.group(1)) == 2:
            title = heading.group(2).strip()
            pages.append(Page(title, f"{GUIDE}/{slugify(title, '-')}.md", []))
        if heading and len(heading.group(1)) >= 2:
            line = line[1:]  # one level up: the section's ## is the page's title
        pages[-1].lines.append(line)
    return pages


def anchors(page: Page) -> set[str]:
    """The anchors of the page's headings, as the toc extension makes them."""
    found = set()
    for line, outside in zip(page.lines, _outside_fences(page.lines), strict=True):
        heading = _HEADING.match(line) if outside else None
        if heading:
            found.add(slugify(heading.group(2).strip(), "-"))
    return found


def _relative(target: str, page: Page) -> str:
    depth = page.uri.count("/")
    return "../" * depth + target


def rewrite_links(page: Page, owner: dict[str, Page], files: set[str]) -> str:
    """The page's text, its in-page and repository links pointed where they now are.

    ``owner`` maps each anchor to the page holding its heading; a link to a repository
    file is noted in ``files``.
    """

    def move(match: re.Match[str]) -> str:
        target = match.group(1)
        if target.startswith("#"):
            home = owner.get(target[1:])
            if home is None or home is page:
                return match.group(0)
            return f"]({_relative(home.uri, page)}{target})"
        if "://" in target or target.startswith("mailto:"):
            return match.group(0)
        files.add(target.split("#")[0])
        return f"]({_relative(target, page)})"

    out = []
    for line, outside in zip(page.lines, _outside_fences(page.lines), strict=True):
        out.append(_LINK.sub(move, line) if outside else line)
    return "\n".join(out).strip("\n") + "\n"


def _readme(config: Any) -> tuple[Path, list[Page]]:
    root = Path(config.config_file_path).resolve().parent
    return root, split_readme((root / "README.md").read_text(encoding="utf-8"))


def on_config(config: Any) -> Any:
    """Put the guide's pages first in the navigation."""
    _, pages = _readme(config)
    guide = [{page.title: page.uri} for page in pages[1:]]
    config.nav = [{"Home": "index.md"}, {"Guide": guide}, *(config.nav or [])]
    return config


def on_files(files: Files, config: Any) -> Files:
    """Add the README's pages, and the repository files they link to, to the site."""
    root, pages = _readme(config)
    owner = {anchor: page for page in pages for anchor in anchors(page)}
    linked: set[str] = set()
    for page in pages:
        files.append(File.generated(config, page.uri,
                                    content=rewrite_links(page, owner, linked)))
    for target in sorted(linked):
        source = (root / target).resolve()
        if not source.is_file() or not source.is_relative_to(root):
            raise ValueError(f"README.md links to {target}, which is not a file of the "
                             "repository")
        files.append(File.generated(config, target, abs_src_path=str(source)))
    return files
