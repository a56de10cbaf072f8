"""The package's import graph, read with `ast`: every import of one of its own modules, at the top of a module or inside
a function body, is an edge. Fails (exit 1) on

- a circle in that graph (imports inside function bodies included);
- a module longer than `MAX_LINES` (800) lines, except the generated index `_modidx.py`;
- a module whose source compiles with a warning (an invalid escape such as '\\e' in a docstring: the warning comes only
  when no cached bytecode exists, so it shows in a fresh clone and is counted by tests that record warnings);
- a module whose plain `import` loads a package module that is not below it in the graph (run in a fresh interpreter
  for each module: `python -c "import mamba_mediation.<m>"`).

Old import paths are kept for one release by a module-level `__getattr__` that looks the moved name up in `moved.MOVED`
and imports its new module by name when it is asked for (and warns); those redirects are not imports of the module and
are listed separately.

Prints the stack from the bottom up, one line per level. Usage (from the repository root):
`python tools/check_imports.py` (the checker checks itself first, on small packages written to a temporary folder)."""
import ast
import graphlib
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

root = Path(__file__).resolve().parent.parent
PKG = 'mamba_mediation'
MAX_LINES = 800
GENERATED = {'_modidx'}


def imports_of(path: Path, pkg: str, modules: set) -> dict:
    """{module imported: 'top' or 'function'} for the package's own modules that the file at `path` imports, wherever
    the import statement is (`from .x import y`, `from . import x`, `from pkg.x import y`, `import pkg.x`)."""
    tree = ast.parse(path.read_text(encoding='utf-8'))
    found = {}

    def add(name, where):
        if name in modules and found.get(name) != 'top':
            found[name] = where

    def visit(node, where):
        for child in ast.iter_child_nodes(node):
            here = 'function' if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) else where
            if isinstance(child, ast.ImportFrom):
                base = child.module or ''
                if child.level == 1 or (child.level == 0 and (base == pkg or base.startswith(pkg + '.'))):
                    sub = base[len(pkg) + 1:] if child.level == 0 and base.startswith(pkg + '.') else (
                        '' if child.level == 0 else base)
                    if sub:
                        add(sub.split('.')[0], here)
                    else:  # from . import x / from pkg import x: x may be a module
                        for a in child.names:
                            add(a.name, here)
                        add('__init__', here)
            elif isinstance(child, ast.Import):
                for a in child.names:
                    if a.name == pkg:
                        add('__init__', here)
                    elif a.name.startswith(pkg + '.'):
                        add(a.name.split('.')[1], here)
            visit(child, here)
    visit(tree, 'top')
    return found


def graph(pkg_dir: Path) -> dict:
    "{module: {module it imports: 'top' | 'function'}} for every module of the package in `pkg_dir`."
    files = {p.stem: p for p in pkg_dir.glob('*.py')}
    mods = set(files)
    return {m: {k: v for k, v in imports_of(p, pkg_dir.name, mods).items() if k != m} for m, p in files.items()}


def levels(g: dict) -> list:
    "The modules in levels from the bottom up (a module imports only modules of lower levels); CycleError on a circle."
    ts = graphlib.TopologicalSorter({m: set(deps) for m, deps in g.items()})
    ts.prepare()
    out = []
    while ts.is_active():
        ready = sorted(ts.get_ready())
        out.append(ready)
        ts.done(*ready)
    return out


def below(g: dict, m: str) -> set:
    "Every module that `m` reaches through the graph (what may be loaded when `m` is)."
    seen, todo = set(), list(g.get(m, {}))
    while todo:
        x = todo.pop()
        if x not in seen:
            seen.add(x)
            todo += list(g.get(x, {}))
    return seen


def loaded_by(pkg_root: Path, pkg: str, m: str) -> set:
    "The package's modules in `sys.modules` after a fresh interpreter imports `pkg.m` (and nothing else)."
    code = (f'import sys, importlib; importlib.import_module({pkg + "." + m!r}); '
            f'print(" ".join(k.split(".")[1] for k in sys.modules if k.startswith({pkg + "."!r})))')
    r = subprocess.run([sys.executable, '-c', code], cwd=pkg_root, capture_output=True, text=True,
                       env={'PYTHONPATH': str(pkg_root), 'PATH': '/usr/bin:/bin'})
    if r.returncode:
        raise RuntimeError(f'import {pkg}.{m} failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""}')
    return set(r.stdout.split()) - {m}


def check(pkg_dir: Path, run_imports: bool = True) -> tuple[list, list]:
    "(problems, levels) for the package in `pkg_dir`: circles, long modules, modules that load a module above them."
    problems, g = [], graph(pkg_dir)
    try:
        lv = levels(g)
    except graphlib.CycleError as e:
        circle = e.args[1]
        where = [f'{a} -> {b} ({g[a][b]})' for a, b in zip(circle, circle[1:])]
        return [f'import circle: {", ".join(where)}'], []
    for p in sorted(pkg_dir.glob('*.py')):
        n = len(p.read_text(encoding='utf-8').splitlines())
        if n > MAX_LINES and p.stem not in GENERATED:
            problems.append(f'{p.name}: {n} lines (at most {MAX_LINES})')
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            compile(p.read_text(encoding='utf-8'), str(p), 'exec')
        problems += [f'{p.name}: {x.category.__name__} when compiled: {x.message}' for x in w]
    if run_imports:
        for m in sorted(g):
            if m == '__init__':
                continue
            extra = loaded_by(pkg_dir.parent, pkg_dir.name, m) - below(g, m) - {'__init__'}
            if extra:
                problems.append(f'import {pkg_dir.name}.{m} loads {", ".join(sorted(extra))}, which it does not import')
    return problems, lv


def self_test():
    "The checker finds what it should, on small packages: a circle through a function body, a long module, a clean stack."
    with tempfile.TemporaryDirectory() as d:
        pkg = Path(d) / 'pk'
        pkg.mkdir()
        (pkg / '__init__.py').write_text('')
        (pkg / 'a.py').write_text('X = 1\n')
        (pkg / 'b.py').write_text('from .a import X\n')
        (pkg / 'c.py').write_text('import pk.b\nfrom pk import a\n')
        probs, lv = check(pkg)
        assert probs == [] and lv == [['__init__', 'a'], ['b'], ['c']], (probs, lv)
        (pkg / 'a.py').write_text('def f():\n    from .c import Y\n    return Y\n')
        probs, _ = check(pkg)
        assert len(probs) == 1 and probs[0].startswith('import circle') and '(function)' in probs[0], probs
        (pkg / 'a.py').write_text('X = 1\n' * (MAX_LINES + 1))
        probs, _ = check(pkg, run_imports=False)
        assert probs == [f'a.py: {MAX_LINES + 1} lines (at most {MAX_LINES})'], probs
        (pkg / 'a.py').write_text('import importlib\nX = 1\nimportlib.import_module("pk.c")\n')  # loads c, which is above it
        (pkg / 'c.py').write_text('X = 1\n')
        probs, _ = check(pkg)
        assert probs == ['import pk.a loads c, which it does not import',
                         'import pk.b loads c, which it does not import'], probs  # b imports a


def main():
    self_test()
    problems, lv = check(root / PKG)
    for i, mods in enumerate(lv):
        print(f'level {i}: {" ".join(mods)}')
    for p in problems:
        print(f'FAIL {p}')
    print(f'import graph: {"no circle, " if lv else ""}{len(problems)} problem(s)')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
