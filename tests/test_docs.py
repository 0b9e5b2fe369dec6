"""The documentation site builds (mkdocs --strict, offline) from the README and docstrings."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _hook():
    spec = importlib.util.spec_from_file_location("readme_pages", ROOT / "docs" /
                                                  "readme_pages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def build(config, site):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                           str(config), "-d", str(site)], capture_output=True, text=True,
                          env=env, timeout=300, cwd=config.parent)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    done = build(ROOT / "mkdocs.yml", out)
    assert done.returncode == 0, done.stderr
    return out


def test_every_readme_section_is_a_page_titled_by_it(site):
    titles = re.findall(r"^## (.+)$", README, flags=re.MULTILINE)
    assert len(titles) >= 8
    hook = _hook()
    for title in titles:
        page = site / "guide" / f"{hook.slugify(title, '-')}.html"
        text = page.read_text(encoding="utf-8")
        assert re.search(r"<h1 id=[^>]*>" + re.escape(title.replace("&", "&amp;")), text), title
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "Capacity planning by simulation." in home
    assert "The Stutterfly question" in home


def test_links_across_the_cut_point_to_the_page_that_holds_the_heading(site):
    page = (site / "guide" / "the-stutterfly-question.html").read_text(encoding="utf-8")
    assert 'href="formulas-and-rough-cuts.html#formulas-and-rough-cuts"' in page
    assert 'href="../experiments/stutterfly.toml"' in page
    assert (site / "experiments" / "stutterfly.toml").read_bytes() == (
        ROOT / "capsim" / "examples" / "stutterfly.toml").read_bytes()


def test_the_api_reference_comes_from_the_docstrings(site):
    page = (site / "api" / "scenario.html").read_text(encoding="utf-8")
    for name in ("load_scenario", "Scenario.replace", "Scenario.edit", "Scenario.with_roster"):
        assert f'id="capsim.scenario.{name}"' in page, name
    assert "worded as for" in page  # the text of Scenario.replace's docstring
    for api in ("run", "decisions", "report", "analytic", "examples"):
        text = (site / "api" / f"{api}.html").read_text(encoding="utf-8")
        assert 'class="doc doc-heading"' in text, api
        assert ":class:" not in text
        assert ":meth:" not in text


def test_the_site_loads_nothing_from_the_network(site):
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'<(?:link|script)[^>]+(?:href|src)="(?:https?:)?//', text), page


def test_a_warning_fails_the_build(tmp_path):
    """--strict: a link to a heading that is not there stops the build."""
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", tmp_path / "docs",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "capsim", tmp_path / "capsim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "README.md").write_text("# t\n\nsee [there](#nowhere)\n\n## A\n\ntext\n")
    done = build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert done.returncode != 0
    assert "nowhere" in done.stderr


def test_the_hook_cuts_at_headings_outside_code_only():
    hook = _hook()
    pages = hook.split_readme("# t\n\nintro\n\n## One\n\n```sh\n## not a heading\n```\n\n"
                              "### Sub\n\nsee [two](#two) and [sub](#sub)\n\n## Two\n\nend\n")
    assert [(p.title, p.uri) for p in pages] == [
        ("Home", "index.md"), ("One", "guide/one.md"), ("Two", "guide/two.md")]
    assert "## not a heading" in pages[1].lines
    assert "## Sub" in pages[1].lines
    owner = {a: p for p in pages for a in hook.anchors(p)}
    linked = set()
    text = hook.rewrite_links(pages[1], owner, linked)
    assert "[two](../guide/two.md#two)" in text
    assert "[sub](#sub)" in text
    assert text.startswith("# One\n")
