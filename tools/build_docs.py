"""Build the docs site without Quarto: nbdev's notebook processing (as `nbdev_proc_nbs`), execute the processed notebooks (skipping the cells that
`nbdev_test` skips: slow-flagged, `eval: false`, `nbdev_export()`), then render them with smalldocs from the same
`_quarto.yml`. The site lands in `_docs/` (open `_docs/index.html`).

Usage (from the repository root): `python tools/build_docs.py [--no-exec]`."""
import shutil
import subprocess
import sys
import time
from pathlib import Path

from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.process import NBProcessor

root = Path(__file__).resolve().parent.parent
cfg = get_config()
skip_flags = set(cfg.get('tst_flags', '').split())


def _skip(cell):
    if cell.cell_type != 'code':
        return True
    if 'nbdev_export' + '(' in cell.source:
        return True
    direc = getattr(cell, 'directives_', {}) or {}
    if direc.get('eval:', [''])[0].lower() == 'false':
        return True
    return bool(skip_flags & direc.keys())


def execute(nb_path: Path) -> bool:
    "Run `nb_path` in place, saving outputs; True if it ran without error."
    nb = NBProcessor(nb_path, process=True).nb
    shell = CaptureShell(nb_path)
    t = time.time()
    try:
        with working_directory(nb_path.parent):
            shell.run_all(nb, exc_stop=True, preproc=_skip)
        ok = True
    except Exception:
        sys.stderr.write(shell.prettytb(fname=nb_path) + '\n')
        ok = False
    for cell in nb.cells:  # drop the parsed directives before saving
        cell.pop('directives_', None)
    write_nb(nb, nb_path)
    print(f'{"ok  " if ok else "FAIL"} {nb_path.name} ({time.time() - t:.0f} s)', flush=True)
    return ok


def main():
    proc = root / '_proc'
    shutil.rmtree(proc, ignore_errors=True)
    import nbdev.doclinks
    from nbdev.serve import proc_nbs
    nbdev.doclinks._build_modidx()
    proc_nbs(force=True, n_workers=1)  # what `nbdev_proc_nbs` does, without its attempt to install Quarto
    ok = True
    if '--no-exec' not in sys.argv:
        for nb in sorted(proc.glob('*.ipynb')):
            ok &= execute(nb)
    subprocess.run(['smalldocs', 'render', str(proc)], check=True)
    out = root / '_docs'
    shutil.rmtree(out, ignore_errors=True)
    built = proc / '_docs'
    shutil.copytree(built, out)
    print(f'Site written to {out / "index.html"}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
