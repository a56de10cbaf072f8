"""Build only some pages of the docs site, quickly, to see what a reader gets: the code share and the page scan.

For working on a chapter: `python tools/run_nbs.py nbs/02_trace.ipynb` (tests it and keeps its outputs), then
`python tools/page_check.py nbs/02_trace.ipynb [...]` renders those pages with the outputs of that run (whatever the
library's state; `tools/build_docs.py` is the real build) into `_docs_part/`, and prints each page's code share, the
findings of the page scan and of the readability checks (`build_docs.readability`, `build_docs.slow_cells`) (links to pages not built are left out)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_docs as bd
from execnb.nbio import read_nb, write_nb


def main(argv):
    nbs = [Path(a) for a in argv]
    proc = bd.root / '_proc_part'
    shutil.rmtree(proc, ignore_errors=True)
    proc.mkdir()
    import nbdev.doclinks
    import nbdev.serve_drv
    from nbdev.serve import _proc_file
    nbdev.doclinks._build_modidx()
    src_dir = Path(bd.cfg.nbs_path)
    for f in [src_dir / n for n in ('_quarto.yml', 'nbdev.yml', 'sidebar.yml', 'styles.css')] + nbs:
        if f.exists():
            job = _proc_file(f.resolve(), cache=proc, path=src_dir)
            if job:
                nbdev.serve_drv.main(job)
    for nb in nbs:
        kept = bd.root / '_proc_exec' / (nb.stem + '.json')
        if not kept.exists():
            print(f'no outputs kept for {nb.name}: run `python tools/run_nbs.py {nb}` first (page built without outputs)')
            continue
        run = json.loads(kept.read_text())
        page = read_nb(proc / nb.name)
        for cell in page.cells:
            out = run['cells'].get(cell.get('id'))
            if cell.cell_type == 'code' and out is not None and not cell.get('outputs'):
                cell['outputs'], cell['execution_count'] = out['outputs'], out['execution_count']
        write_nb(page, proc / nb.name)
    subprocess.run([shutil.which('smalldocs') or str(Path(sys.executable).parent / 'smalldocs'), 'render', '--quiet', str(proc)], check=True)
    out = bd.root / '_docs_part'
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(proc / '_docs', out)
    findings = bd.finish_site(out, proc)
    for p in bd._pages(out):
        if p.stem in {n.stem for n in nbs}:
            print(f'{p.name}: code share {bd.code_share(p.read_text()):.0%}')
    for f in findings:
        if 'link to a missing page' not in f and 'missing anchor' not in f:
            print('check:', f)
    for f in bd.readability(out, {n.stem for n in nbs}) + bd.slow_cells(nbs, proc):
        print('FAIL readability:', f)
    print(f'pages in {out}')


if __name__ == '__main__':
    main(sys.argv[1:])
