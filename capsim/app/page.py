"""The what-if page: a thin Streamlit layer over :mod:`capsim.app.answers`.

Streamlit runs this script top to bottom on every change of a knob. It lays out the
widgets and shows what the functions of ``answers``, ``knobs`` and ``sources``
return; it computes nothing itself. Runs are cached per canonical scenario TOML
(seed and replications are in it), so a what-if seen before answers at once, and
going back to a baseline costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import streamlit as st

from capsim import examples
from capsim.app import answers, sources
from capsim.app.knobs import Edited, Knob, apply, knobs
from capsim.errors import CapsimError, WorkloadError
from capsim.results import RunResult
from capsim.scenario import Scenario
from capsim.workload import check_workload

CHOICES = ("Packaged example", "File in the working folder", "Upload")
STEP = {"absence": 0.01, "targets": 0.01, "multiplier": 0.05}


def _command_line() -> str | None:
    """The SCENARIO given to ``capsim app`` (Streamlit puts it after the script)."""
    ours = len(sys.argv) > 1 and Path(sys.argv[0]).resolve() == Path(__file__).resolve()
    return sys.argv[1] if ours else None


@st.cache_resource
def _session() -> answers.Session:
    """One session for the server's life: workers start once, draws are shared."""
    return answers.Session()


@st.cache_data(show_spinner=False, max_entries=64)
def _simulate(key: str, _scenario: Scenario) -> RunResult:
    """One run per key: the canonical TOML of the scenario (see answers.cache_key)."""
    return _session().simulate(_scenario)


def _choose_source(folder: Path) -> sources.Source | None:
    initial = st.session_state.setdefault("initial", _command_line())
    with st.sidebar:
        st.header("Scenario")
        kind = st.radio("Where from", CHOICES, index=1 if initial else 0, key="source_kind")
        try:
            if kind == CHOICES[0]:
                names = examples.names()
                name = st.selectbox("Example", names, key="example",
                                    index=names.index("stutterfly") if "stutterfly" in names
                                    else 0)
                return sources.example(name)
            if kind == CHOICES[1]:
                listed = sources.listed(folder)
                text = st.text_input("Path (relative to the working folder)",
                                     value=initial or (listed[0] if listed else ""), key="path",
                                     help=f"Working folder: {folder}. Files found: "
                                     + (", ".join(listed[:20]) or "none"))
                return sources.from_file(text, folder)
            upload = st.file_uploader("Scenario file (TOML)", type=["toml"], key="upload")
            if upload is None:
                st.info("Upload a scenario file to start.")
                return None
            return sources.from_upload(upload.name, upload.getvalue(), folder)
        except CapsimError as exc:
            st.error(str(exc))
            return None


def _step(knob: Knob) -> float | int:
    if knob.whole:
        return 1
    for word, step in STEP.items():
        if word in knob.path:
            return step
    return 1.0


def _knob_widgets(knob_list: list[Knob], prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A number field per knob, grouped; each with an empty slot below for its message."""
    values: dict[str, Any] = {}
    slots: dict[str, Any] = {}
    groups = list(dict.fromkeys(k.group for k in knob_list))
    with st.sidebar:
        for group in groups:
            with st.expander(group, expanded=group in ("Staff", "Absence")):
                for knob in (k for k in knob_list if k.group == group):
                    default = knob.default if knob.whole else float(knob.default)
                    values[knob.path] = st.number_input(
                        knob.label, value=default, step=_step(knob), help=knob.help or None,
                        key=f"{prefix}:{knob.path}", format=None if knob.whole else "%g")
                    slots[knob.path] = st.empty()
    return values, slots


def _show_problems(edited: Edited, slots: dict[str, Any]) -> None:
    for path, message in edited.errors.items():
        slots[path].error(message)
    for message in edited.general:
        st.error(message)
    for message in edited.warnings:
        st.warning(message)


def _headline(result: RunResult, baseline: RunResult | None, seconds: float,
              cached: bool) -> None:
    head = answers.headline(result)
    old = answers.headline(baseline) if baseline is not None else None
    level = round(100 * head.on_time.ci_level)
    left, right = st.columns(2)
    delta = None if old is None else (
        f"{100 * (head.on_time.mean - old.on_time.mean):+.2f} points vs baseline")
    left.metric("On-time rate", answers.formatted("on_time_rate", head.on_time.mean),
                delta=delta)
    left.caption(f"{level} % CI {answers.formatted('on_time_rate', head.on_time.ci_low)} to "
                 f"{answers.formatted('on_time_rate', head.on_time.ci_high)}; target "
                 f"{answers.formatted('on_time_rate', head.target)}")
    met_delta = None if old is None else (
        f"{100 * (head.p_target_met.mean - old.p_target_met.mean):+.2f} points vs baseline")
    right.metric("Seasons meeting the target", answers.formatted("p_target_met",
                                                                 head.p_target_met.mean),
                 delta=met_delta)
    right.caption(f"{level} % CI {answers.formatted('p_target_met', head.p_target_met.ci_low)}"
                  f" to {answers.formatted('p_target_met', head.p_target_met.ci_high)} "
                  f"(Wilson), over {head.replications} seasons")
    st.caption(f"seed {head.seed}, engine {head.engine}, simulated in {head.seconds:.1f} s; "
               f"answered in {seconds:.2f} s" + (" (from the cache)" if cached else ""))


def _figures(result: RunResult) -> None:
    import numpy as np
    import pandas as pd

    wip = result.hourly("wip").astype(float)
    in_house = pd.DataFrame({"mean": wip.mean(axis=0),
                             "p10": np.percentile(wip, 10, axis=0),
                             "p90": np.percentile(wip, 90, axis=0)})
    in_house.index.name = "hour"
    on_hand = result.daily("on_hand").astype(float)
    present = pd.DataFrame({"mean": on_hand.mean(axis=0),
                            "p10": np.percentile(on_hand, 10, axis=0)})
    present.index.name = "day"
    left, right = st.columns(2)
    left.subheader("Orders in-house (hourly)")
    left.line_chart(in_house, x_label="hour", y_label="orders in-house")
    right.subheader("Technicians on hand (daily)")
    right.line_chart(present, x_label="day", y_label="technicians")


def _height(rows: int) -> int:
    """Pixels for a table to show all its rows without scrolling."""
    return 35 * (rows + 1) + 3


def _comparison(baseline: RunResult, result: RunResult) -> None:
    import pandas as pd

    rows = answers.compare(baseline, result)
    kind = ("paired: same seed and replications, so common random numbers" if rows[0].paired
            else "NOT paired (seed or replications differ): independent intervals")
    st.subheader("Against the baseline")
    st.caption(f"current − baseline, {round(100 * result.ci_level)} % interval, {kind}")
    st.dataframe(pd.DataFrame([{
        "kpi": r.kpi, "baseline": r.baseline, "current": r.current,
        "difference": r.difference.mean, "ci_low": r.difference.ci_low,
        "ci_high": r.difference.ci_high,
        "clearly": r.clearly} for r in rows]), hide_index=True, key="comparison",
        height=_height(len(rows)))


def _use(key: str, value: int) -> None:
    """Set a knob from a button (a callback runs before the page does: allowed)."""
    st.session_state[key] = value


def _size(scenario: Scenario, key: str, roster_key: str | None) -> None:
    st.subheader("Size it")
    criterion = st.radio("Criterion", ("mean", "chance"), horizontal=True, key="criterion",
                         help="mean: the mean on-time rate meets the target; chance: at least "
                         "the confidence share of seasons meet it (Wilson lower bound)")
    confidence = 0.9
    if criterion == "chance":
        confidence = st.number_input("Confidence", value=0.9, step=0.05, key="confidence")
    sized = st.session_state.setdefault("sized", {})
    wanted = (key, criterion, confidence)
    if st.button("Size it: smallest roster meeting the target", key="size"):
        bar = st.progress(0.0, text="starting the search")
        count = {"roster": 0, "last": 0}

        def progress(done: int, total: int) -> None:
            count["roster"] += done < count["last"] or count["roster"] == 0
            count["last"] = done
            bar.progress(min(done / total, 1.0),
                         text=f"roster evaluation {count['roster']}: {done} of {total} seasons")

        try:
            sized[wanted] = answers.size(scenario, criterion, confidence, progress)
        except CapsimError as exc:
            st.error(str(exc))
        bar.empty()
    if wanted in sized:
        import pandas as pd

        result = sized[wanted]
        found = (f"**{result.recommended} technicians**" if result.recommended is not None
                 else "no roster up to the search's maximum")
        st.markdown(f"Smallest roster meeting the target: {found}")
        bind = answers.binding_text(result)
        if bind is not None:
            st.markdown(bind)
        if roster_key is not None and result.recommended is not None:
            st.button(f"Use {result.recommended} technicians", key="use_size", on_click=_use,
                      args=(roster_key, result.recommended))
        st.dataframe(pd.DataFrame(answers.size_rows(result)), hide_index=True, key="curve")
        for note in result.notes:
            st.caption(note)


def _downloads(result: RunResult, source: sources.Source, edited: Edited, key: str) -> None:
    st.subheader("Downloads")
    files = answers.downloads(result, source.label, edited.overrides)
    columns = st.columns(len(files) + 1)
    for column, (name, text) in zip(columns, files.items(), strict=False):
        column.download_button(name, text, file_name=name, key=f"download:{name}")
    reports = st.session_state.setdefault("reports", {})
    if key in reports:
        columns[-1].download_button("report.zip", reports[key], file_name="report.zip",
                                    key="download:report")
    elif columns[-1].button("Build the report (zip)", key="build_report"):
        with st.spinner("Sizing, stress tests and figures: this takes a while"):
            try:
                reports[key] = answers.report_zip(result.scenario)
            except CapsimError as exc:
                st.error(str(exc))
        st.rerun()
    st.caption("The same numbers from the command line:")
    st.code(answers.equivalent_command(source.path, source.label, edited.overrides,
                                       Path.cwd()), language="bash")


def _answer(source: sources.Source, edited: Edited, slots: dict[str, Any],
            prefix: str) -> None:
    scenario = edited.scenario
    assert scenario is not None
    try:  # a run too large for this machine: the CLI's refusal, by the replications knob
        check_workload(scenario, scenario.experiment.replications, None)
    except WorkloadError as exc:
        slots["experiment.replications"].error(str(exc))
        return
    key = answers.cache_key(scenario)
    began = time.perf_counter()
    with st.spinner(f"Simulating {scenario.experiment.replications} seasons"):
        result = _simulate(key, scenario)
    seconds = time.perf_counter() - began
    seen = st.session_state.setdefault("seen", set())
    cached, _ = key in seen, seen.add(key)
    pinned = st.session_state.get("baseline")  # (source label, result)
    baseline = pinned[1] if pinned is not None and pinned[0] == source.label else None
    if pinned is not None and baseline is None:
        st.caption(f"The pinned baseline is from {pinned[0]}: it is compared only with "
                   "answers of the same scenario.")
    _headline(result, baseline, seconds, cached)
    pin, drop = st.columns(2)
    if pin.button("Pin this answer as the baseline", key="pin"):
        st.session_state["baseline"] = (source.label, result)
        st.rerun()
    if pinned is not None and drop.button("Drop the baseline", key="drop"):
        del st.session_state["baseline"]
        st.rerun()
    if baseline is not None:
        _comparison(baseline, result)
    st.subheader("KPIs")
    import pandas as pd

    rows = answers.kpi_rows(result)
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="kpis", height=_height(len(rows)))
    _figures(result)
    roster_key = None if scenario.workforce.counts_only else f"{prefix}:workforce.roster"
    _size(scenario, key, roster_key)
    _downloads(result, source, edited, key)


def main() -> None:
    """The page."""
    st.set_page_config(page_title="capsim what-if", layout="wide")
    st.title("capsim what-if")
    folder = Path.cwd()
    source = _choose_source(folder)
    if source is None:
        return
    try:
        base = apply(source, [], {})
        if base.scenario is None:
            st.error("\n\n".join(base.general))
            return
        st.caption(f"{base.scenario.name} ({source.label})")
        knob_list = knobs(base.scenario)
        digest = hashlib.sha256(json.dumps(source.data, sort_keys=True, default=str).encode())
        prefix = f"{source.label}:{digest.hexdigest()[:12]}"
        values, slots = _knob_widgets(knob_list, prefix)
        edited = apply(source, knob_list, values)
        _show_problems(edited, slots)
        if edited.scenario is not None:
            _answer(source, edited, slots, prefix)
    except CapsimError as exc:
        st.error(str(exc))
    except Exception as exc:  # a bug in capsim: say so in one line, as the CLI does
        st.error(f"capsim: internal error: {type(exc).__name__}: {exc} (please report it)")


if __name__ == "__main__":
    main()
