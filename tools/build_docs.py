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


def execute(src: Path, proc_nb: Path) -> bool:
    """Run the source notebook `src` (hidden set-up cells included, the cells `nbdev_test` skips left out) and copy
    each cell's outputs into the processed page `proc_nb` (matched by cell id); True if it ran without error."""
    nb = NBProcessor(src, process=True).nb
    shell = CaptureShell(src)
    t = time.time()
    try:
        with working_directory(src.parent):
            shell.run_all(nb, exc_stop=True, preproc=_skip)
        ok = True
    except Exception:
        sys.stderr.write(shell.prettytb(fname=src) + '\n')
        ok = False
    outputs = {c.get('id'): c for c in nb.cells if c.cell_type == 'code' and c.get('outputs')}
    page = read_nb(proc_nb)
    for cell in page.cells:
        run = outputs.get(cell.get('id'))
        if cell.cell_type == 'code' and run is not None and not cell.get('outputs'):
            cell['outputs'], cell['execution_count'] = run['outputs'], run.get('execution_count')
    write_nb(page, proc_nb)
    print(f'{"ok  " if ok else "FAIL"} {src.name} ({time.time() - t:.0f} s)', flush=True)
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
            ok &= execute(cfg.nbs_path / nb.name, nb)
    subprocess.run(['smalldocs', 'render', str(proc)], check=True)
    out = root / '_docs'
    shutil.rmtree(out, ignore_errors=True)
    built = proc / '_docs'
    shutil.copytree(built, out)
    print(f'Site written to {out / "index.html"}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
