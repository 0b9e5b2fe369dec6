"""Data flows one way: each module imports only from modules above it (DESIGN.md §2)."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT

# From the top of the flow down; a module may import from its own row or rows above.
LAYERS: list[set[str]] = [
    {"capsim._version", "capsim.errors", "capsim.interrupts", "capsim.allocator", "capsim.reuse"},
    {"capsim.kpis", "capsim.progress"},
    {"capsim.scenario.files", "capsim.scenario.calendar", "capsim.scenario.paths"},
    {"capsim.scenario.base"},
    {"capsim.scenario.costs", "capsim.scenario.orders", "capsim.scenario.staff",
     "capsim.scenario.stress", "capsim.scenario.describe", "capsim.scenario.targets",
     "capsim.scenario.equipment"},
    {"capsim.scenario.supplies"},
    {"capsim.scenario.classes"},
    {"capsim.scenario.checks"},
    {"capsim.scenario.models"},
    {"capsim.scenario.load"},
    {"capsim.scenario.dump", "capsim.scenario.edits"},
    {"capsim.scenario"},
    {"capsim.examples"},
    {"capsim.rng"},
    {"capsim.distributions"},
    {"capsim.demand"},
    {"capsim.analytic.erlang", "capsim.analytic.erlang_a"},
    {"capsim.analytic.staffing"},
    {"capsim.analytic.offered_load"},
    {"capsim.analytic.rough_cut", "capsim.analytic.reach"},
    {"capsim.analytic"},
    {"capsim.attendance"},
    {"capsim.policies", "capsim.followups", "capsim.agency", "capsim.equipment",
     "capsim.supplies"},
    {"capsim.sampling", "capsim.costs"},
    {"capsim.jobs"},
    {"capsim.records"},
    {"capsim.engines._numba_cache", "capsim.engines._aot"},
    # _select compiles its helpers with _kernel's compile_helpers
    {"capsim.engines._kernel", "capsim.engines._select", "capsim.engines._reduce",
     "capsim.engines._views"},
    {"capsim.engines._stockloop"},
    {"capsim.engines._jobloop"},
    {"capsim.engines._stationloop"},
    {"capsim.engines.simpy_queues", "capsim.engines.simpy_env", "capsim.engines.simpy_stations",
     "capsim.engines.simpy_stock"},
    {"capsim.engines.simpy_model", "capsim.engines.vectorized"},
    {"capsim.engines"},
    {"capsim.segments", "capsim.stockouts"},
    {"capsim.batch"},
    {"capsim.metrics"},
    {"capsim.engines.fused"},
    {"capsim.stats", "capsim.executors", "capsim.spill"},
    {"capsim.placement"},
    {"capsim.options"},
    {"capsim.results"},
    {"capsim.workload"},
    {"capsim.experiment"},
    {"capsim.goals"},
    {"capsim.objective"},
    {"capsim.staffing", "capsim.sweep", "capsim.stress", "capsim.verify", "capsim.schedule",
     "capsim.loops"},
    {"capsim.tables"},
    {"capsim.output.common", "capsim.output.ownership", "capsim.output.classes"},
    {"capsim.output.folder"},
    {"capsim.output.run", "capsim.output.staffing", "capsim.output.sweep",
     "capsim.output.stress"},
    {"capsim.output.schedule"},
    {"capsim.output"},
    {"capsim.persist"},
    {"capsim.reporting.bundle"},
    {"capsim.reporting.figures", "capsim.reporting.blocks"},
    {"capsim.reporting.plots"},
    {"capsim.reporting.summary"},
    {"capsim.reporting.economics", "capsim.reporting.risks"},
    {"capsim.reporting.sections"},
    {"capsim.reporting.render"},
    {"capsim.reporting"},
    {"capsim.app.sources"},
    {"capsim.app.knobs"},
    {"capsim.app.answers", "capsim.app.launch"},
    {"capsim.app.page"},
    {"capsim.app"},
    {"capsim.cli.args"},
    {"capsim.cli.run_commands", "capsim.cli.analytic_commands", "capsim.cli.verify_command",
     "capsim.cli.example_command", "capsim.cli.app_command", "capsim.cli.schedule_command"},
    {"capsim.cli.staffing_commands"},
    {"capsim.cli.report_command"},
    {"capsim.cli"},
    {"capsim.__main__"},
    {"capsim"},
]
LAYER = {module: depth for depth, row in enumerate(LAYERS) for module in row}


def module_name(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def capsim_imports(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("capsim"):
            for alias in node.names:  # "from capsim import engines" imports a submodule
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in LAYER else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("capsim")}
    return found


def test_every_module_has_a_place_in_the_flow():
    modules = {module_name(p) for p in (ROOT / "capsim").rglob("*.py")}
    assert modules == set(LAYER), "add new modules to LAYERS in the right place"


def test_imports_only_point_up():
    wrong = []
    for path in (ROOT / "capsim").rglob("*.py"):
        here = module_name(path)
        for imported in capsim_imports(path):
            if LAYER[imported] > LAYER[here]:
                wrong.append(f"{here} imports {imported}")
    assert not wrong, wrong


def test_the_simulation_core_does_not_lean_on_the_formulas():
    """capsim.analytic grows beside the simulation (DESIGN.md): the model must stand on its
    own, so that the formulas can serve as its independent test oracles."""
    first, last = LAYER["capsim.attendance"], LAYER["capsim.experiment"]
    core = {m for m in LAYER if first <= LAYER[m] <= last}
    leaning = [f"{module_name(p)} imports {i}" for p in (ROOT / "capsim").rglob("*.py")
               if module_name(p) in core for i in capsim_imports(p)
               if i.startswith("capsim.analytic")]
    assert not leaning, leaning


def loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported once it has run ``code``."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {modules!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return ast.literal_eval(done.stdout.strip().splitlines()[-1])


def test_import_capsim_is_light():
    assert loaded_after("import capsim", ("numpy", "scipy", "simpy", "matplotlib",
                                          "pydantic", "tqdm")) == []


def test_a_worker_imports_no_heavy_module_it_does_not_use():
    """What a pool worker runs (sample, simulate, reduce: ``replicate_many``) needs
    neither scipy.special (0.2 s of start-up per worker; intervals, fitting and the
    analytic module use it, in the main process) nor plotting, tables or Dask."""
    code = ("from capsim.experiment import replicate_many\n"
            "from capsim.scenario import validate\n"
            "s = validate({'name': 'x', 'horizon_days': 2, 'demand': {'rate_per_hour': 2},"
            " 'work': {'mean_minutes': 30}, 'workforce': {'roster': 2, 'always_on': True}})\n"
            "replicate_many(s, seed=1, indices=[0, 1], engine='fast')")
    assert loaded_after(code, ("scipy.special", "scipy.stats", "matplotlib", "pandas",
                               "dask")) == []


def test_a_staffing_search_leaves_scipy_stats_alone():
    """``capsim size`` needs the rough cut's normal quantile and binomial tail, not
    scipy.stats (with scipy.sparse and scipy.optimize: 0.4-0.7 s of start-up): ndtri
    (what norm.ppf calls) and :func:`capsim.analytic.staffing.binomial_at_least`."""
    code = ("import io, contextlib\n"
            "from capsim.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['size', 'experiments/stutterfly.toml', '--replications', '2',"
            " '--workers', '1', '--progress', 'none'])")
    assert loaded_after(code, ("scipy.stats", "scipy.optimize", "scipy.sparse",
                               "matplotlib", "pandas", "dask")) == []


def test_a_report_without_a_schedule_search_leaves_scipy_optimize_alone():
    """Only ``--schedule`` solves a MILP: a plain report imports capsim.schedule (for
    its option) but not scipy.optimize, about 0.4 s of its start-up."""
    code = ("import io, contextlib, tempfile\n"
            "from capsim.cli import main\n"
            "with tempfile.TemporaryDirectory() as out, "
            "contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['report', 'experiments/stutterfly.toml', '--replications', '2',"
            " '--workers', '1', '--progress', 'none', '--out', out + '/r'])")
    assert loaded_after(code, ("capsim.schedule", "scipy.optimize", "scipy.stats")) == [
        "capsim.schedule"]


def test_no_module_is_a_warehouse():
    """Small rooms: no module over 400 lines (STYLE.md)."""
    sizes = {module_name(p): len(p.read_text().splitlines())
             for p in (ROOT / "capsim").rglob("*.py")}
    assert max(sizes.values()) <= 400, sizes
