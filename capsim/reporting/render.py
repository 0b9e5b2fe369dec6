"""Blocks to a self-contained HTML page and to Markdown.

The HTML page has no script and no external resource: figures are embedded as PNG
data URIs, the style sheet is inline, so it opens from disk with no network. Each
:class:`~capsim.reporting.blocks.Fact` becomes ``<span class="fact" data-source=...>``.
The Markdown (GitHub flavoured) links the figures as files under ``figures/``.
"""

from __future__ import annotations

import base64
import html

from capsim.reporting.blocks import (
    Block,
    Bullets,
    Code,
    Fact,
    Figure,
    Heading,
    Paragraph,
    Preformatted,
    Strong,
    Table,
    Text,
)
from capsim.reporting.figures import Drawn

CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #d9d9d9; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
h1 { font-size: 1.9rem; margin: 0 0 .25rem; }
h2 { font-size: 1.35rem; margin: 2.5rem 0 .75rem; padding-top: .75rem;
  border-top: 1px solid var(--rule); }
.subtitle { color: var(--muted); margin: 0 0 1.5rem; }
nav ol { columns: 2; padding-left: 1.25rem; margin: 0 0 1rem; }
a { color: var(--accent); }
figure { margin: 1.25rem 0; }
figure img { display: block; width: 100%; max-width: 50rem; height: auto; }
figcaption { color: var(--muted); font-size: .92rem; margin-top: .35rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .92rem; width: 100%; }
th, td { border-bottom: 1px solid var(--rule); padding: .35rem .5rem; text-align: left;
  vertical-align: top; }
th { border-bottom: 2px solid var(--ink); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
.table-wrap { overflow-x: auto; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9em; }
pre { background: #f5f5f5; padding: .75rem 1rem; overflow-x: auto; white-space: pre-wrap;
  word-break: break-all; }
.fact { font-variant-numeric: tabular-nums; }
@media print { h2 { break-after: avoid; } figure, table { break-inside: avoid; } }
"""


def _inline_html(parts: Text) -> str:
    out = []
    for part in parts:
        if isinstance(part, Fact):
            span = (f'<span class="fact" data-source="{html.escape(part.source)}" '
                    f'data-format="{part.fmt}">{html.escape(part.text)}</span>')
            out.append(f"<strong>{span}</strong>" if part.strong else span)
        elif isinstance(part, Strong):
            out.append(f"<strong>{html.escape(part.text)}</strong>")
        elif isinstance(part, Code):
            out.append(f"<code>{html.escape(part.text)}</code>")
        else:
            out.append(html.escape(part))
    return "".join(out)


def _table_html(table: Table) -> str:
    numeric = table.numeric or (False,) * len(table.header)
    head = "".join(f'<th{" class=num" if n else ""} scope="col">{html.escape(h)}</th>'
                   for h, n in zip(table.header, numeric, strict=True))
    rows = "".join("<tr>" + "".join(f'<td{" class=num" if n else ""}>{_inline_html(cell)}</td>'
                                    for cell, n in zip(row, numeric, strict=True)) + "</tr>\n"
                   for row in table.rows)
    return (f'<div class="table-wrap"><table>\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{rows}</tbody></table></div>")


def _absent(name: str, not_drawn: frozenset[str]) -> str:
    """Why a figure is not there."""
    return ("not drawn: the run was interrupted" if name in not_drawn
            else "no data for this figure")


def _block_html(block: Block, figures: dict[str, Drawn], not_drawn: frozenset[str]) -> str:
    if isinstance(block, Heading):
        return f'<h{block.level} id="{block.anchor}">{html.escape(block.title)}</h{block.level}>'
    if isinstance(block, Paragraph):
        return f"<p>{_inline_html(block.parts)}</p>"
    if isinstance(block, Bullets):
        items = "".join(f"<li>{_inline_html(item)}</li>\n" for item in block.items)
        return f"<ul>\n{items}</ul>"
    if isinstance(block, Table):
        return _table_html(block)
    if isinstance(block, Preformatted):
        return f"<pre>{html.escape(block.text)}</pre>"
    if isinstance(block, Figure):
        drawn = figures.get(block.name)
        if drawn is None:
            return (f"<p><em>{html.escape(block.caption)} "
                    f"({_absent(block.name, not_drawn)})</em></p>")
        data = base64.b64encode(drawn.png).decode("ascii")
        width, height = _png_size(drawn.png)
        return (f'<figure id="figure-{block.name}"><img src="data:image/png;base64,{data}" '
                f'alt="{html.escape(drawn.alt)}" width="{width}" height="{height}">'
                f"<figcaption>{html.escape(block.caption)}</figcaption></figure>")
    raise TypeError(f"unknown block {block!r}")


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG's IHDR chunk (bytes 16 to 24)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def to_html(title: str, subtitle: str, blocks: list[Block], figures: dict[str, Drawn],
            not_drawn: frozenset[str] = frozenset()) -> str:
    """One self-contained page (``not_drawn``: figures a Ctrl-C left out)."""
    toc = "".join(f'<li><a href="#{b.anchor}">{html.escape(b.title.split(". ", 1)[-1])}</a></li>'
                  for b in blocks if isinstance(b, Heading) and b.level == 2)
    body = "\n".join(_block_html(b, figures, not_drawn) for b in blocks)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"<main>\n<h1>{html.escape(title)}</h1>\n"
            f'<p class="subtitle">{html.escape(subtitle)}</p>\n'
            f'<nav aria-label="Contents"><ol>{toc}</ol></nav>\n{body}\n</main>\n'
            "</body>\n</html>\n")


def _inline_md(parts: Text) -> str:
    out = []
    for part in parts:
        if isinstance(part, Strong):
            out.append(f"**{_escape_md(part.text)}**")
        elif isinstance(part, Code):
            out.append(f"`{part.text}`")
        elif isinstance(part, Fact):
            out.append(f"**{_escape_md(part.text)}**" if part.strong else _escape_md(part.text))
        else:
            out.append(_escape_md(part))
    return "".join(out)


def _escape_md(text: str) -> str:
    for char in "\\`*_[]<>|":
        text = text.replace(char, "\\" + char)
    return text


def _block_md(block: Block, figures: dict[str, Drawn], not_drawn: frozenset[str]) -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {block.title}"
    if isinstance(block, Paragraph):
        return _inline_md(block.parts)
    if isinstance(block, Bullets):
        return "\n".join(f"- {_inline_md(item)}" for item in block.items)
    if isinstance(block, Table):
        numeric = block.numeric or (False,) * len(block.header)
        lines = ["| " + " | ".join(_escape_md(h) for h in block.header) + " |",
                 "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
        lines += ["| " + " | ".join(_inline_md(cell) for cell in row) + " |"
                  for row in block.rows]
        return "\n".join(lines)
    if isinstance(block, Preformatted):
        return f"```\n{block.text}\n```"
    if isinstance(block, Figure):
        drawn = figures.get(block.name)
        if drawn is None:
            return f"*{_escape_md(block.caption)} ({_absent(block.name, not_drawn)})*"
        return (f"![{_escape_md(drawn.alt)}](figures/{block.name}.png)\n\n"
                f"*{_escape_md(block.caption)}* ([SVG](figures/{block.name}.svg))")
    raise TypeError(f"unknown block {block!r}")


def to_markdown(title: str, subtitle: str, blocks: list[Block], figures: dict[str, Drawn],
                not_drawn: frozenset[str] = frozenset()) -> str:
    """The report as GitHub-flavoured Markdown, figures as files."""
    parts = [f"# {_escape_md(title)}", _escape_md(subtitle)]
    parts += [_block_md(b, figures, not_drawn) for b in blocks]
    return "\n\n".join(parts) + "\n"

