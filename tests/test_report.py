"""capsim report: the folder, the numbers it shows against its data, the browser, bad input.

One small report is built once for the module (a few seconds); the tests read it.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import shlex
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from capsim.cli import main
from capsim.reporting import report
from capsim.reporting.blocks import show
from capsim.reporting.figures import FIGURES
from capsim.scenario import load_scenario
from capsim.staffing import size_staff
from tests import browser
from tests.conftest import ROOT

SMALL = """
name = "small lab"
description = "a small operation for the report tests"
horizon_days = 21
warmup_days = 3

[demand]
rate_per_hour = 6.0
surges = [{ name = "promotion", start_hour = 240, end_hour = 336, multiplier = 1.5 }]

[work]
distribution = "lognormal"
mean_minutes = 30.0
cv = 0.7
promise_hours = 16.0

[workforce]
roster = 8
shifts = [
  { name = "early", start_hour = 6, length_hours = 8, days_per_week = 5, share = 0.6 },
  { name = "late", start_hour = 14, length_hours = 8, days_per_week = 5, share = 0.4 },
]

[absence]
daily_rate = 0.05
last_minute_share = 0.5
vacation = { weeks_per_year = 6, block_weeks = 1 }

[targets]
on_time_rate = 0.9

[experiment]
replications = 20
seed = 11

[[stress]]
name = "flu"
kind = "absence"
start_day = 12
days = 2
technicians = 2

[[stress]]
name = "outage"
kind = "closure"
start_day = 15
days = 1
"""
SECTIONS = ["1. Executive summary", "2. On-time delivery by roster",
            "3. Chance of meeting the target", "4. Orders in-house over the season",
            "5. Technicians on hand", "6. Lead time against the promise",
            "7. Utilization and overtime", "8. Stress tests: what breaks the plan",
            "9. Analytic rough cut against simulation", "10. Assumptions: every input",
            "11. Method and reproducibility", "12. Every KPI"]
#: The figures of this report: no [costs] (no cost trade-off), no --schedule.
DRAWN = [name for name in FIGURES if name not in ("cost_against_on_time", "staff_by_hour")]


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "small.toml"
    path.write_text(SMALL)
    return path


@pytest.fixture(scope="module")
def built(scenario_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reports") / "small"
    assert main(["report", str(scenario_file), "--out", str(out), "--workers", "1"]) == 0
    return out


class Page(HTMLParser):
    """The parts of index.html the tests look at."""

    def __init__(self, text: str):
        super().__init__()
        self.facts: list[dict[str, str]] = []  # source, format, text, section
        self.images: list[str] = []
        self.links: list[str] = []
        self.headings: list[str] = []
        self._fact: dict[str, str] | None = None
        self._heading: list[str] | None = None
        self.section_text: dict[str, str] = {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "span" and attrs.get("class") == "fact":
            self._fact = {"source": attrs["data-source"], "format": attrs["data-format"],
                          "text": "", "section": self._section()}
        elif tag == "img":
            self.images.append(attrs["src"])
        elif tag in ("a", "link", "script"):
            self.links.append(attrs.get("href") or attrs.get("src") or "")
        elif tag == "h2":
            self._heading = []

    def handle_endtag(self, tag):
        if tag == "span" and self._fact is not None:
            self.facts.append(self._fact)
            self.section_text[self._section()] += "\0"  # where a fact stood
            self._fact = None
        elif tag == "h2" and self._heading is not None:
            self.headings.append("".join(self._heading))
            self.section_text[self.headings[-1]] = ""
            self._heading = None

    def handle_data(self, data):
        if self._fact is not None:
            self._fact["text"] += data
        elif self._heading is not None:
            self._heading.append(data)
        elif self.headings:
            self.section_text[self._section()] += data

    def _section(self) -> str:
        return self.headings[-1] if self.headings else ""


def resolve(data: Path, source: str):
    """A fact's value read straight from the data folder (independently of capsim)."""
    file, _, where = source.partition(":")
    if file.endswith(".json"):
        value = json.loads((data / file).read_text())
        for key in where.split("."):
            value = value[int(key)] if isinstance(value, list) else value[key]
        return value
    selector, _, column = where.rpartition(":")
    key, _, wanted = selector.partition("=")
    with (data / file).open() as handle:
        rows = [row for row in csv.DictReader(handle) if float(row[key]) == float(wanted)]
    assert len(rows) == 1, source
    return float(rows[0][column])


def test_the_folder_has_every_part(built):
    names = {p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file()}
    expected = {"index.html", "report.md", "scenario.toml", "command.txt",
                "data/summary.json", "data/curve.csv", "data/timeseries.csv",
                "data/daily.csv", "data/lead_time.csv", "data/on_hand_expected.csv",
                "data/stress/summary.json", "data/stress/stress.csv"}
    expected |= {f"figures/{name}.{ext}" for name in DRAWN for ext in ("png", "svg")}
    assert expected <= names, expected - names
    page = Page((built / "index.html").read_text())
    assert page.headings == SECTIONS
    markdown = (built / "report.md").read_text()
    assert [line[3:] for line in markdown.splitlines() if line.startswith("## ")] == SECTIONS
    # Nothing of the temporary assembly is left beside the report.
    assert [p.name for p in built.parent.iterdir()] == ["small"]


def test_every_figure_is_embedded_in_the_page_and_a_file_for_the_markdown(built):
    page = Page((built / "index.html").read_text())
    embedded = [base64.b64decode(src.removeprefix("data:image/png;base64,"))
                for src in page.images]
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    assert embedded == [(built / "figures" / f"{name}.png").read_bytes() for name in DRAWN]
    # Self-contained: the only links are to anchors on the page itself.
    assert page.links
    assert all(link.startswith("#") for link in page.links), page.links
    markdown = (built / "report.md").read_text()
    referenced = re.findall(r"\]\((figures/[^)]+)\)", markdown)
    assert len(referenced) == 2 * len(DRAWN)
    assert all((built / path).is_file() for path in referenced)


def test_every_number_marked_in_the_page_is_the_one_in_its_data(built):
    page = Page((built / "index.html").read_text())
    assert len(page.facts) > 60
    for fact in page.facts:
        value = resolve(built / "data", fact["source"])
        assert fact["text"] == show(value, fact["format"]), fact
        if value is None:
            continue
        # And without capsim's formatting: the shown number is the value, rounded.
        digits = int(fact["format"][-1]) if fact["format"][-1].isdigit() else 0
        scale = 100 if fact["format"].startswith("pct") else 1
        shown = float(fact["text"].replace(",", "").removesuffix(" %"))
        assert abs(shown - scale * value) <= 0.5 * 10 ** -digits + 1e-9, fact
    summary_sources = {f["source"].split(":")[0] for f in page.facts
                       if f["section"] == SECTIONS[0]}
    assert summary_sources == {"summary.json", "curve.csv", "stress/summary.json"}


def test_the_executive_summary_has_no_number_that_is_not_from_the_data(built):
    """Every digit in section 1 is inside a marked fact, but for fixed wording: the rule
    of thumb's ratio, what p10 means, the interval's level, an event's description."""
    page = Page((built / "index.html").read_text())
    words = page.section_text[SECTIONS[0]]
    stress = json.loads((built / "data" / "stress" / "summary.json").read_text())
    for fixed in ["per 100 orders", "9 seasons out of 10", "95 % confidence interval",
                  *(event["description"] for event in stress["events"])]:
        words = words.replace(fixed, "")
    assert not re.search(r"\d", words), words
    assert words.count("\0") >= 15


def test_the_recorded_command_rebuilds_the_same_numbers_and_figures(built, tmp_path,
                                                                   monkeypatch):
    copy = tmp_path / "report"
    shutil.copytree(built, copy)
    argv = shlex.split((copy / "command.txt").read_text())
    assert argv[:2] == ["capsim", "report"]
    monkeypatch.chdir(copy)
    assert main([*argv[1:], "--workers", "2"]) == 0  # another executor: the same results
    rebuilt = copy / "rebuilt"
    for name in ("curve.csv", "timeseries.csv", "daily.csv", "lead_time.csv",
                 "on_hand_expected.csv", "stress/stress.csv"):
        assert (rebuilt / "data" / name).read_bytes() == (built / "data" / name).read_bytes()
    for name in DRAWN:
        for ext in ("png", "svg"):
            path = f"figures/{name}.{ext}"
            assert (rebuilt / path).read_bytes() == (built / path).read_bytes(), path


def test_a_report_from_its_own_data_is_the_same_page(built, scenario_file, tmp_path):
    again = tmp_path / "again"
    result = report(load_scenario(scenario_file), again, from_dir=built)
    assert result.recommended == json.loads((built / "data/summary.json").read_text())[
        "recommended"]
    for name in ("index.html", "report.md", "scenario.toml", "command.txt"):
        assert (again / name).read_bytes() == (built / name).read_bytes(), name


def test_a_report_from_capsim_size_results_adds_the_stress_tests(scenario_file, tmp_path,
                                                                 capsys):
    sized = tmp_path / "sized"
    assert main(["size", str(scenario_file), "--workers", "1", "--out", str(sized)]) == 0
    out = tmp_path / "report"
    capsys.readouterr()  # size's table
    assert main(["report", str(scenario_file), "--from", str(sized), "--out", str(out),
                 "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer == {"report": str(out), "index": str(out / "index.html"),
                      "recommended": json.loads((sized / "summary.json").read_text())[
                          "recommended"], "partial": False}
    assert (out / "data" / "stress" / "summary.json").is_file()
    assert (out / "data" / "on_hand_expected.csv").is_file()
    assert (out / "data" / "curve.csv").read_bytes() == (sized / "curve.csv").read_bytes()


@pytest.mark.parametrize(("extra", "complaint"), [
    (["--seed", "12"], "seed = 11, not 12"),
    (["--set", "demand.rate_per_hour=7"], "different scenario (differing: demand)"),
    (["--max", "9"], "--max applies to a new search"),
])
def test_results_from_other_settings_are_refused(built, scenario_file, tmp_path, capsys,
                                                 extra, complaint):
    out = tmp_path / "report"
    status = main(["report", str(scenario_file), "--from", str(built), "--out", str(out),
                   *extra])
    assert status == 2
    assert complaint in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_bad_out_is_refused_before_any_simulation(scenario_file, tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_text("not a report")
    cases = [(a_file, "exists and is not a directory"),
             (a_file / "report", "cannot write there"),
             (foreign, "not empty and not written by capsim")]
    for out, complaint in cases:
        assert main(["report", str(scenario_file), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"capsim: error: --out {out}: "), err
        assert complaint in err
        assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "photos"]
    assert a_file.read_text() == "mine"
    assert [p.name for p in foreign.iterdir()] == ["holiday.jpg"]


def test_a_read_only_place_is_refused(scenario_file, tmp_path, capsys):
    # Root writes into a read-only folder anyway: it gets a place no one can write to.
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    out = Path("/proc/capsim-report") if os.geteuid() == 0 else locked / "report"
    try:
        assert main(["report", str(scenario_file), "--out", str(out)]) == 2
    finally:
        locked.chmod(0o755)
    assert f"--out {out}: cannot write there" in capsys.readouterr().err
    assert list(locked.iterdir()) == []


def test_a_failure_while_writing_leaves_the_previous_report_whole(built, scenario_file,
                                                                 tmp_path, monkeypatch):
    out = tmp_path / "small"
    shutil.copytree(built, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("capsim.reporting.to_markdown", broken)
    with pytest.raises(OSError, match="disk full"):
        report(load_scenario(scenario_file), out, from_dir=built)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["small"]


def test_a_target_no_roster_meets_gives_a_report_that_says_so(scenario_file, tmp_path,
                                                             capsys):
    out = tmp_path / "report"
    status = main(["report", str(scenario_file), "--out", str(out), "--workers", "1",
                   "--target", "0.9999", "--max", "4"])
    assert status == 3
    assert "No roster evaluated meets the target." in capsys.readouterr().out
    assert "No roster evaluated meets the target." in (out / "report.md").read_text()


def test_ctrl_c_gives_a_report_of_what_completed_marked_partial(scenario_file, tmp_path):
    calls = []

    def interrupt_in_the_second_evaluation(done, total):
        calls.append(done)
        if calls.count(1) == 2:
            raise KeyboardInterrupt

    result = report(load_scenario(scenario_file), tmp_path / "report", workers=1,
                    progress=interrupt_in_the_second_evaluation)
    assert result.partial
    assert result.recommended is None
    markdown = (result.path / "report.md").read_text()
    assert "**Partial results:**" in markdown
    assert "No recommendation yet" in markdown
    assert json.loads((result.path / "data/summary.json").read_text())["partial"] is True
    assert not (result.path / "data" / "stress").exists()
    assert ("The stress tests were not run: the staffing search was interrupted before it "
            "recommended a roster.") in markdown


def test_size_staff_evaluates_the_extra_rosters_on_the_same_seeds(scenario_file):
    s = load_scenario(scenario_file)
    plain = size_staff(s, workers=1, progress=False)
    more = size_staff(s, workers=1, progress=False, also=[3, max(plain.evaluations) + 2])
    assert set(more.evaluations) == set(plain.evaluations) | {3, max(plain.evaluations) + 2}
    assert more.recommended == plain.recommended
    for roster, result in plain.evaluations.items():
        assert (more.evaluations[roster].kpis["on_time_rate"].mean
                == result.kpis["on_time_rate"].mean)


@pytest.fixture(scope="module")
def sized(scenario_file, tmp_path_factory) -> Path:
    """What capsim size --out writes: a report --from it runs the stress tests."""
    out = tmp_path_factory.mktemp("sized") / "sized"
    assert main(["size", str(scenario_file), "--workers", "1", "--out", str(out)]) == 0
    return out


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*") if p.is_file()}


def test_the_same_report_again_gives_the_same_files_but_timing_json(built, scenario_file):
    """The README's "byte for byte": every file but timing.json, figures and pages too."""
    before = files_of(built)
    assert {"data/timing.json", "data/stress/timing.json", ".capsim-output"} <= set(before)
    assert b"elapsed_seconds" not in before["data/summary.json"]
    assert b"elapsed_seconds" not in before["data/stress/summary.json"]
    # The same command again, into the same folder (capsim's own: replaced whole).
    assert main(["report", str(scenario_file), "--out", str(built), "--workers", "1"]) == 0
    after = files_of(built)
    timing = {"data/timing.json", "data/stress/timing.json"}
    assert set(after) == set(before)
    assert {n: b for n, b in after.items() if n not in timing} == {
        n: b for n, b in before.items() if n not in timing}
    assert [p.name for p in built.parent.iterdir()] == ["small"]
    marker = json.loads(after[".capsim-output"])
    assert marker["kind"] == "report"
    assert marker["files"] == sorted(n for n in after if n != ".capsim-output")


def test_a_users_folder_that_looks_like_a_report_is_not_replaced(scenario_file, tmp_path,
                                                                 capsys):
    out = tmp_path / "mine"
    (out / "data").mkdir(parents=True)
    for name, text in {"index.html": "<p>my page</p>", "report.md": "# mine",
                       "photo.jpg": "a photo", "data/customers.csv": "name\nAda\n"}.items():
        (out / name).write_text(text)
    before = files_of(out)
    assert main(["report", str(scenario_file), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not empty and not written by capsim" in err
    assert files_of(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]


def test_a_report_a_user_added_files_to_is_not_replaced(built, scenario_file, tmp_path,
                                                        capsys):
    out = tmp_path / "small"
    shutil.copytree(built, out)
    (out / "data" / "notes.txt").write_text("mine")
    before = files_of(out)
    assert main(["report", str(scenario_file), "--from", str(built), "--out", str(out)]) == 2
    assert "capsim did not write (data/notes.txt)" in capsys.readouterr().err
    assert files_of(out) == before


@pytest.mark.parametrize("umask", [0o022, 0o077], ids=oct)
def test_the_report_folder_follows_the_umask(built, scenario_file, tmp_path, umask):
    out = tmp_path / "report"
    old = os.umask(umask)
    try:
        report(load_scenario(scenario_file), out, from_dir=built)
    finally:
        os.umask(old)
    for path in [out, *out.rglob("*")]:
        expected = (0o777 if path.is_dir() else 0o666) & ~umask
        assert path.stat().st_mode & 0o777 == expected, path


def interrupt(calls: list, at: int, real=None):
    """A stand-in that raises KeyboardInterrupt at its ``at``-th call (else calls ``real``)."""
    def stand_in(*args, **kwargs):
        calls.append(1)
        if len(calls) == at:
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    return stand_in


NOT_DRAWN = "(not drawn: the run was interrupted)"


def test_ctrl_c_in_the_stress_tests_keeps_the_search(scenario_file, sized, tmp_path,
                                                     monkeypatch, capsys):
    monkeypatch.setattr("capsim.reporting.stress_test", interrupt([], 1))
    out = tmp_path / "report"
    assert main(["report", str(scenario_file), "--from", str(sized), "--out", str(out)]) == 130
    assert "marked partial" in capsys.readouterr().err
    assert (out / "data" / "curve.csv").read_bytes() == (sized / "curve.csv").read_bytes()
    assert not (out / "data" / "stress").exists()
    markdown = (out / "report.md").read_text()
    assert "**Partial results:**" in markdown
    assert "Not done: the stress tests and the figures." in markdown
    assert "The stress tests were not run: the run was interrupted first." in markdown
    assert markdown.count(NOT_DRAWN) == len(DRAWN) - 1  # no data for the stress figure
    assert not (out / "figures").exists()


def test_ctrl_c_after_some_stress_events_keeps_them(scenario_file, sized, tmp_path):
    calls = []

    def interrupt_in_the_second_event(done, total):  # baseline, flu, then outage
        calls.append(done)
        if calls.count(1) == 3:
            raise KeyboardInterrupt

    s = load_scenario(scenario_file)
    result = report(s, tmp_path / "report", from_dir=sized, workers=1,
                    progress=interrupt_in_the_second_event)
    assert result.partial
    stress = json.loads((result.path / "data/stress/summary.json").read_text())
    assert stress["partial"] is True
    assert [e["name"] for e in stress["events"]] == ["flu"]
    markdown = (result.path / "report.md").read_text()
    assert "Not done: some of the stress tests and the figures." in markdown
    assert "Interrupted: the events not shown were not run." in markdown
    # As the report says, --from this folder completes it without a new search.
    again = report(s, tmp_path / "again", from_dir=result.path, workers=1)
    assert not again.partial
    stress = json.loads((again.path / "data/stress/summary.json").read_text())
    assert [e["name"] for e in stress["events"]] == ["flu", "outage"]
    assert (again.path / "data/curve.csv").read_bytes() == (sized / "curve.csv").read_bytes()


def test_ctrl_c_while_the_search_is_written_keeps_it(built, scenario_file, tmp_path,
                                                     monkeypatch):
    from capsim.reporting import bundle

    monkeypatch.setattr(bundle, "size_files", interrupt([], 1, bundle.size_files))
    result = report(load_scenario(scenario_file), tmp_path / "report", workers=1)
    assert result.partial
    assert result.recommended == json.loads((built / "data/summary.json").read_text())[
        "recommended"]
    for name in ("curve.csv", "timeseries.csv", "daily.csv", "lead_time.csv",
                 "on_hand_expected.csv"):
        assert (result.path / "data" / name).read_bytes() == (built / "data" / name
                                                               ).read_bytes(), name
    markdown = (result.path / "report.md").read_text()
    assert "Not done: the stress tests and the figures." in markdown


def test_ctrl_c_in_the_figures_keeps_those_drawn(built, scenario_file, tmp_path,
                                                 monkeypatch):
    from capsim.reporting import figures

    monkeypatch.setattr("capsim.reporting.draw", interrupt([], 3, figures.draw))
    result = report(load_scenario(scenario_file), tmp_path / "report", from_dir=built)
    assert result.partial
    drawn = sorted(p.name for p in (result.path / "figures").iterdir())
    assert drawn == sorted(f"{name}.{ext}" for name in DRAWN[:2]
                           for ext in ("png", "svg"))
    markdown = (result.path / "report.md").read_text()
    assert "Not done: the figures." in markdown
    assert markdown.count(NOT_DRAWN) == len(DRAWN) - 2
    page = Page((result.path / "index.html").read_text())
    assert len(page.images) == 2


def test_ctrl_c_while_the_pages_are_written_finishes_them_then_stops(built, scenario_file,
                                                                     tmp_path, monkeypatch):
    from capsim.reporting import render

    monkeypatch.setattr("capsim.reporting.to_markdown", interrupt([], 1, render.to_markdown))
    out = tmp_path / "report"
    with pytest.raises(KeyboardInterrupt):
        report(load_scenario(scenario_file), out, from_dir=built)
    for name in ("index.html", "report.md", "command.txt", "data/curve.csv"):
        assert (out / name).read_bytes() == (built / name).read_bytes(), name


def test_a_second_ctrl_c_abandons_the_report_and_keeps_the_previous_one(
        built, scenario_file, tmp_path, monkeypatch):
    out = tmp_path / "small"
    shutil.copytree(built, out)
    before = files_of(out)
    def every_time(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("capsim.reporting.to_html", every_time)
    with pytest.raises(KeyboardInterrupt):
        report(load_scenario(scenario_file), out, from_dir=built)
    assert files_of(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["small"]



def test_the_page_renders_in_a_real_browser_without_errors(built, chromium):
    seen = browser.render(chromium, built / "index.html")
    # Kept for inspection under reports/ (git-ignored), or where the variable says.
    folder = os.environ.get("CAPSIM_SCREENSHOT_DIR", ROOT / "reports" / "screenshots")
    shot = Path(folder) / "report-small.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(seen.screenshot)
    print(f"screenshot: {shot}")
    assert seen.errors == []
    assert len(seen.images) == len(DRAWN)
    assert all(i["complete"] and i["naturalWidth"] > 0 and i["width"] > 0
               for i in seen.images), seen.images
    assert seen.screenshot.startswith(b"\x89PNG")
    assert seen.height > 3000


def test_the_browser_check_does_see_a_broken_page(tmp_path, chromium):
    """The test above can fail: a missing image and a console error are both caught."""
    page = tmp_path / "broken.html"
    page.write_text('<!doctype html><img src="missing.png" alt="x">'
                    '<script>console.error("boom")</script>')
    seen = browser.render(chromium, page)
    assert any("boom" in e for e in seen.errors), seen.errors
    assert any("missing.png" in e or "ERR_FILE_NOT_FOUND" in e for e in seen.errors)
    assert seen.images[0]["naturalWidth"] == 0


def test_report_lists_exactly_the_registry_kpis_that_apply(built):
    """Every registry KPI but those measuring what this scenario lacks (patience, a
    service-level threshold), which are 0 or undefined here."""
    from capsim.kpis import KPIS, P_TARGET_MET

    markdown = (built / "report.md").read_text()
    section = markdown.split("## 12. Every KPI", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    applying = [k.name for k in KPIS if k.feature is None]
    assert [row.split("`")[1] for row in rows] == [*applying, P_TARGET_MET.name]
    assert len(applying) < len(KPIS)
