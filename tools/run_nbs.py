"""Test the notebooks as `nbdev_test` does, and keep what each one printed and drew for the docs build.

Each notebook is run by nbdev's own `nbdev.test.test_nb` (the function `nbdev_test` calls: the same processing, the same
cells skipped — slow-flagged, `eval: false`, `nbdev_export()` — the same `IN_TEST`), in a process of its own. Its cells'
outputs are then written to `_proc_exec/NAME.json` with the content key of `build_docs.content_key` (the notebook, the
library, its data and the benchmark files), so that `tools/build_docs.py` renders those outputs instead of running the
notebook a second time; a key that no longer matches (a notebook or the library changed since) is ignored and the
notebook is run again by the docs build.

Usage (from the repository root): `python tools/run_nbs.py [--jobs N] [NOTEBOOK ...]` (default: every notebook in
`nbs/`, two at a time). Prints `ok   NAME (N s)` or `FAIL NAME (N s)` per notebook and `N passed, N failed`; exit 1 if
any failed."""
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

root = Path(__file__).resolve().parent.parent
EXEC = root / '_proc_exec'


def run_one(nb: Path) -> int:
    "Run one notebook with nbdev's `test_nb`; on success write its outputs and content key. The process's exit status."
    import nbdev.test
    from nbdev.config import get_config
    sys.path.insert(0, str(root / 'tools'))
    import build_docs
    import figure_check
    figure_check.install()  # every figure's PNG carries what makes it readable or not (checked by the docs build)

    shells = []

    class Shell(build_docs.Shell):
        "The docs build's shell (a cell ending in `;` keeps what it printed), remembering the notebook it ran."
        def run_all(self, nb, *args, **kwargs):
            shells.append((self, nb))
            return super().run_all(nb, *args, **kwargs)

    nbdev.test.CaptureShell = Shell
    cfg = get_config()
    EXEC.mkdir(exist_ok=True)
    out = EXEC / (nb.stem + '.json')
    out.unlink(missing_ok=True)
    key = build_docs.content_key(nb)  # before the run: what the outputs were made from
    ok, _ = nbdev.test.test_nb(nb.absolute(), skip_flags=cfg.tst_flags.split(), basepath=cfg.config_path)
    if not ok:
        return 1
    cells = {c.get('id'): {'outputs': build_docs._terminal_outputs(c.get('outputs', [])),
                           'execution_count': c.get('execution_count')}
             for _, run in shells for c in run.cells if c.cell_type == 'code' and c.get('outputs')}
    out.write_text(json.dumps({'key': key, 'cells': cells}))
    return 0


def main(argv):
    jobs = 2
    if '--jobs' in argv:
        i = argv.index('--jobs')
        jobs = int(argv[i + 1])
        del argv[i:i + 2]
    # the largest notebooks (the longest runs) first, so that two workers finish together
    nbs = [Path(a) for a in argv] or sorted((root / 'nbs').glob('*.ipynb'), key=lambda f: -f.stat().st_size)

    def run(nb):
        t = time.time()
        r = subprocess.run([sys.executable, __file__, '--one', str(nb)], cwd=root)
        line = f'{"ok  " if r.returncode == 0 else "FAIL"} {nb.name} ({time.time() - t:.0f} s)'
        print(line, flush=True)
        return r.returncode == 0

    with ThreadPoolExecutor(jobs) as ex:
        results = list(ex.map(run, nbs))
    failed = [nb.name for nb, ok in zip(nbs, results) if not ok]
    if failed:
        print('failed notebooks: ' + ' '.join(failed))
    print(f'{len(nbs) - len(failed)} passed, {len(failed)} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    if sys.argv[1:2] == ['--one']:
        sys.exit(run_one(Path(sys.argv[2])))
    sys.exit(main(sys.argv[1:]))
