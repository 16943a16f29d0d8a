"""rnnzoo's modules import each other without a cycle.

The test parses every module of `rnnzoo/` (its recipes included) with `ast`, without importing anything, and builds the
graph of rnnzoo-internal imports:

- every import counts, at module level or inside a function;
- `import rnnzoo.a.b` is an edge to `rnnzoo.a.b`; `from rnnzoo.a import b`
  an edge to `rnnzoo.a`, and to `rnnzoo.a.b` when that is a module; relative
  imports are resolved against the importing module's package;
- importing a module runs the `__init__` of each package above it, so an
  import of `rnnzoo.a.b` is also an edge to the package `rnnzoo.a`;
- an edge from a module into a package that contains it (`rnnzoo.data.api`
  -> `rnnzoo.data`, anything -> `rnnzoo`) is left out: Python runs that
  `__init__` before the module anyway, and a package `__init__` importing
  its own submodules is the normal package structure, not a cycle.

Dynamic imports (`importlib.import_module`) are not seen.
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
TREES = {"rnnzoo": ROOT / "rnnzoo"}


def modules():
    """`{module name: path}` of every module of rnnzoo and its recipes."""
    found = {}
    for package, folder in TREES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def is_package(name, known):
    return known[name].name == "__init__.py"


def imported(name, path, known):
    """The rnnzoo modules `name` (at `path`) imports, as written."""
    package = name if is_package(name, known) else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            targets.add(module)
            targets |= {f"{module}.{alias.name}" for alias in node.names}
    return {t for t in targets if t in known}


def graph():
    """`{module: set of modules it imports}`, by the rules of this file."""
    known = modules()
    edges = {}
    for name, path in known.items():
        targets = set()
        for target in imported(name, path, known):
            parts = target.split(".")
            targets |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
        edges[name] = {
            t for t in targets
            if t in known and t != name and not name.startswith(t + ".")
        }
    return edges


def find_cycle(edges):
    """One import cycle as a list `[a, b, ..., a]`, or `None`."""
    state = {}  # name -> "open" while on the path, "done" once explored.
    path = []

    def visit(name):
        state[name] = "open"
        path.append(name)
        for target in sorted(edges[name]):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[name] = "done"
        return None

    for name in sorted(edges):
        if name not in state:
            cycle = visit(name)
            if cycle:
                return cycle
    return None


def test_the_rules_see_edges_and_cycles():
    known = modules()
    assert "rnnzoo.cli" in known and "rnnzoo.recipes.addition" in known
    edges = graph()
    # A module-level import, a function-level import, and the parent package.
    assert "rnnzoo.train.recipe" in edges["rnnzoo.recipes.addition"]
    assert "rnnzoo.cli" in edges["rnnzoo.recipes.addition"]
    assert "rnnzoo.layers" in edges["rnnzoo.models.backbone"]
    assert "rnnzoo.data" not in edges["rnnzoo.data.api"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


LIBRARY = ("rnnzoo.layers", "rnnzoo.models", "rnnzoo.data", "rnnzoo.diagnostics",
           "rnnzoo.registry", "rnnzoo.checks", "rnnzoo.errors")
APPLICATION = ("rnnzoo.train", "rnnzoo.export", "rnnzoo.cli", "rnnzoo.recipes")
#: (modules under these prefixes, must never reach these prefixes).
RULES = [
    (LIBRARY, APPLICATION),
    (("rnnzoo.layers",), ("rnnzoo.models", "rnnzoo.data")),
    (("rnnzoo.train", "rnnzoo.export"), ("rnnzoo.cli",)),
]


def under(name, prefixes):
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def forbidden_paths(edges, rules):
    """For each rule broken, the shortest import path from a module to a
    module it must not reach (even through others): `[a, b, ..., z]`."""
    broken = []
    for sources, targets in rules:
        for start in sorted(n for n in edges if under(n, sources)):
            seen, queue = {start: None}, [start]
            while queue:
                name = queue.pop(0)
                if under(name, targets):
                    path = [name]
                    while seen[path[-1]] is not None:
                        path.append(seen[path[-1]])
                    broken.append(path[::-1])
                    break
                for target in sorted(edges[name]):
                    if target not in seen:
                        seen[target] = name
                        queue.append(target)
    return broken


def test_the_layering_check_finds_an_indirect_import():
    edges = {"rnnzoo.models.a": {"rnnzoo.checks"}, "rnnzoo.checks": {"rnnzoo.train.b"},
             "rnnzoo.train.b": set()}
    assert forbidden_paths(edges, RULES[:1]) == [
        ["rnnzoo.checks", "rnnzoo.train.b"], ["rnnzoo.models.a", "rnnzoo.checks", "rnnzoo.train.b"]]


def test_the_library_never_imports_the_application():
    broken = forbidden_paths(graph(), RULES)
    assert not broken, "forbidden imports:\n" + "\n".join(" -> ".join(p) for p in broken)


SIDE_EFFECTS = """
import json, logging, os, sys
import absl.logging, keras, tensorflow, tensorflow_datasets  # Their effects are theirs.

def state():
    return {"environ": dict(os.environ),
            "tensorflow_logger": logging.getLogger("tensorflow").level,
            "root_logger": logging.getLogger().level,
            "absl_verbosity": absl.logging.get_verbosity(),
            "stderr": os.readlink("/proc/self/fd/2"),
            "descriptors": sorted(os.listdir("/proc/self/fd"))}

before = state()
import rnnzoo
rnnzoo.layers, rnnzoo.models, rnnzoo.data, rnnzoo.create_model
after = state()
print(json.dumps({k: [before[k], after[k]] for k in before if before[k] != after[k]}))
"""


def test_importing_rnnzoo_changes_nothing_in_the_process():
    import json
    import subprocess
    import sys

    if not pathlib.Path("/proc/self/fd").exists():
        import pytest

        pytest.skip("needs /proc")
    done = subprocess.run([sys.executable, "-c", SIDE_EFFECTS], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {}
