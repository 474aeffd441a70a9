"""The layering of docs/architecture.md, as import-linter checks it: entry points over assets
and sensors over services over the domain over resources; no Dagster below the assets; the
read-only commands load neither Dagster nor the data and model libraries."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(linter), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout and "broken" not in done.stdout.replace("0 broken", "")


def test_no_module_of_the_package_exceeds_400_lines_and_the_median_is_under_150() -> None:
    sizes = {
        path.relative_to(ROOT): len(path.read_text().splitlines())
        for package in ("ml_platform_assets", "resources", "sensors")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }
    too_long = {str(p): n for p, n in sizes.items() if n > 400}
    assert not too_long
    ordered = sorted(sizes.values())
    assert ordered[len(ordered) // 2] < 150, ordered


def test_every_public_module_class_and_function_has_a_docstring() -> None:
    """ruff over the package with the project's rules (pyproject.toml), D1 among them: a
    docstring on every public module, class, method and function."""
    ruff = Path(sys.executable).with_name("ruff")
    packages = [str(ROOT / p) for p in ("ml_platform_assets", "resources", "sensors")]
    done = subprocess.run(
        [str(ruff), "check", "--no-cache", *packages],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-4000:]


def _cycles(graph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each one import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while not group or group[-1] != module:
                group.append(stack.pop())
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycles() -> None:
    """No module imports, even under TYPE_CHECKING or inside a function, one that imports it
    back: each class has one home below everything that uses it."""
    import grimp

    graph = grimp.build_graph("ml_platform_assets", "resources", "sensors")
    assert _cycles(graph) == []
