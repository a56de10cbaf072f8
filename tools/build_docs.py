"""Build the docs site without Quarto: nbdev's notebook processing (as `nbdev_proc_nbs`), execute the processed
notebooks (skipping the cells that `nbdev_test` skips: slow-flagged, `eval: false`, `nbdev_export()`), render them with
smalldocs from the same `_quarto.yml`, then finish the pages so that they read offline (`finish_site`):

- nbdev's doc links point at the published site (`https://<user>.github.io/<repo>/load.html#x`, Quarto's `output-file`
  names); smalldocs names the pages after the notebooks (`00_load.html`): the links are made relative and point at the
  built page and anchor; a doc link that nbdev wrote as Markdown inside a signature (a docments comment in a code block)
  becomes a link; a link nested in a link (an explicit `[`Trace`](#trace)` that nbdev linked again) keeps the inner
  link; a doc link to an anchor no page has (a private name without `show_doc`) becomes plain code; Quarto's page names
  (`load.html`) redirect to the built pages;
- equations are typeset by MathJax 3 copied into `site_libs/` from the PyPI package `django-static-mathjax` (the MathJax
  distribution, no Django needed; a dev requirement) instead of KaTeX from a CDN; the theme's remote font `@import` is
  dropped: the site makes no request off the disk;
- figures are shown at the size they were drawn for (`width`/`height` from the output's metadata: matplotlib's retina
  PNGs have twice the pixels) and shrink only to fit; one wider than the text spreads into the margin, and one still
  shown smaller opens full size on a click (`tools/docs_figures.js`, `nbs/styles.css`);
- every page is scanned for what should not be there (raw Markdown links, `$$`, warnings, tracebacks and NaN in cell
  outputs, broken local links and anchors, CDN references); the findings are printed and written to
  `_docs/docs_check.txt`.

Cells run in execnb's shell, except that a cell ending in `;` keeps what it printed (execnb drops it). A notebook that
cannot be processed or run is reported (`FAIL name: cell N: error`, and again at the end) and the build goes on (a stub
page names the error when nbdev cannot process it); the exit status is then 1. `--strict` also fails on the scan's
findings.

A notebook that `tools/run_nbs.py` (the CI's test step) has just tested is not run again: its outputs are taken from
that test run when they were made from the same content (`content_key`: the notebook, the library, its data).

Usage (from the repository root): `python tools/build_docs.py [--no-exec] [--render-only] [--strict]`
(`--render-only` re-renders and re-finishes the pages of the last build's `_proc/`, without processing or running
anything). Screenshots of every page in headless Chromium, and what a reader would see wrong:
`python tools/screenshot_docs.py`."""
import base64
import hashlib
import html
import json
import multiprocessing
import re
import shutil
import struct
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.basics import AttrDict
from fastcore.xtras import working_directory
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from nbdev.config import get_config
from nbdev.process import NBProcessor

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root / 'tools'))
import figure_check  # noqa: E402
cfg = get_config()
skip_flags = set(cfg.get('tst_flags', '').split())
SITE_URL = (cfg.doc_host + cfg.doc_baseurl).rstrip('/')  # where nbdev's doc links point
WIDE_FIGURE = 880  # px: a figure wider than this spreads from the text into the margin


def _skip(cell):
    if cell.cell_type != 'code':
        return True
    if 'nbdev_export' + '(' in cell.source:
        return True
    direc = getattr(cell, 'directives_', {}) or {}
    if direc.get('eval:', [''])[0].lower() == 'false':
        return True
    return bool(skip_flags & direc.keys())


def _one_line(e: BaseException) -> str:
    return f'{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ""}'[:300]


def _stub(src: Path, dst: Path, why: str):
    "A page that says the notebook could not be built, so that the site and its sidebar stay whole."
    title = src.stem
    for c in read_nb(src).cells:
        m = re.match(r'#\s+(.+)', c.source) if c.cell_type == 'markdown' else None
        if m:
            title = m.group(1).strip()
            break
    nb = {'cells': [{'cell_type': 'raw', 'metadata': {}, 'source': f'---\ntitle: {json.dumps(title)}\n---\n'},
                    {'cell_type': 'markdown', 'metadata': {},
                     'source': f'::: {{.callout-warning}}\nThis page could not be built: `{src.name}` failed in the docs '
                               f'build.\n\n```\n{why}\n```\n:::\n'}],
          'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}
    dst.write_text(json.dumps(nb, indent=1))


def process(proc: Path) -> dict:
    """What `nbdev_proc_nbs` does (nbdev's docs processors on each notebook, into `proc`), one notebook at a time, so that
    a notebook that fails is reported and replaced by a stub page instead of stopping the build. Returns {name: error}."""
    import nbdev.serve_drv
    from nbdev.serve import _proc_file
    from nbdev.doclinks import nbglob
    nbs = Path(cfg.nbs_path)
    files = list(nbglob(nbs, func=Path, file_glob='', file_re=''))
    files += [nbs / f for f in ('_quarto.yml', '_brand.yml') if (nbs / f).exists()]
    jobs = [j for j in (_proc_file(f, cache=proc, path=nbs) for f in files) if j]
    failed = {}
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context('spawn')) as ex:
        for job, fut in [(j, ex.submit(nbdev.serve_drv.main, j)) for j in jobs]:
            try:
                fut.result()
            except Exception as e:  # nbdev's "Error in notebook: T in cell N", caused by the cell's own error
                first = [ln for ln in str(e.__cause__ or '').splitlines() if re.match(r'\w+(Error|Exception)\b', ln)]
                why = '; '.join(x for x in (_one_line(e).rstrip(' :'), first[0] if first else '') if x)
                failed[job[0].name] = f'nbdev processing: {why}'
                print(f'FAIL {job[0].name}: nbdev processing: {why}', flush=True)
                _stub(job[0], job[1], why)
    return failed


class Shell(CaptureShell):
    """execnb's shell, except that a cell whose code ends in `;` keeps what it printed: execnb drops all of its stdout
    (execnb 0.1.18), where Jupyter hides only the cell's value (`print(peak(r))` then `plot_traces(...);`)."""

    def _run(self, raw_cell, store_history=False, silent=False, shell_futures=True, cell_id=None,
             stdout=True, stderr=True, display=True, verbose=False):
        semic = raw_cell.rstrip().endswith(';')
        with capture_output(display=display, stdout=stdout and not verbose, stderr=stderr and not verbose) as c:
            result = InteractiveShell.run_cell(self, raw_cell, store_history, silent, shell_futures=shell_futures,
                                               cell_id=cell_id)
        return AttrDict(result=result, stdout=c.stdout, stderr=c.stderr, display_objects=c.outputs,
                        exception=result.error_in_exec or result.error_before_exec, quiet=semic)


def as_terminal(text: str) -> str:
    "Stream text as a terminal shows it: a carriage return (a progress bar's redraw) overwrites its line."
    return '\n'.join(line.rstrip('\r').rsplit('\r', 1)[-1].rstrip() if '\r' in line else line
                     for line in text.split('\n'))


def _terminal_outputs(outputs: list) -> list:
    for o in outputs:
        if o.get('output_type') == 'stream':
            text = ''.join(o['text']) if isinstance(o['text'], list) else o['text']
            o['text'] = as_terminal(text)
    return outputs


def content_key(src: Path) -> str:
    """What a notebook's outputs are made from: the notebook, the library with its models and data, the notebooks' data
    and the benchmark results that pages read, and the torch version (a hash)."""
    import torch
    h = hashlib.sha256(f'torch {torch.__version__}\n'.encode())
    files = [Path(src)] + sorted(f for d in ('mamba_mediation', 'nbs/data', 'bench') for f in (root / d).rglob('*')
                                 if f.is_file() and '__pycache__' not in f.parts)
    files += sorted(f for f in (root / 'nbs').glob('*') if f.is_file() and f.suffix != '.ipynb')
    for f in files:
        h.update(str(Path(f).resolve().relative_to(root)).encode() + b'\0' + Path(f).read_bytes() + b'\0')
    return h.hexdigest()


def from_test_run(src: Path, proc_nb: Path) -> bool:
    """Fill the processed page `proc_nb` with the outputs that `tools/run_nbs.py` kept from the test run of `src`, if that
    run was of the same content (`content_key`); False (nothing done) otherwise."""
    kept = root / '_proc_exec' / (src.stem + '.json')
    if not kept.exists():
        return False
    run = json.loads(kept.read_text())
    if run.get('key') != content_key(src):
        print(f'note {src.name}: the outputs kept by the test run are of other content; running it again', flush=True)
        return False
    page = read_nb(proc_nb)
    for cell in page.cells:
        out = run['cells'].get(cell.get('id'))
        if cell.cell_type == 'code' and out is not None and not cell.get('outputs'):
            cell['outputs'], cell['execution_count'] = out['outputs'], out['execution_count']
    write_nb(page, proc_nb)
    print(f'ok   {src.name} (outputs of the test run)', flush=True)
    return True


def execute(src: Path, proc_nb: Path) -> str | None:
    """Run the source notebook `src` (hidden set-up cells included, the cells `nbdev_test` skips left out) and copy
    each cell's outputs into the processed page `proc_nb` (matched by cell id); None if it ran, else the error in a line."""
    nb = NBProcessor(src, process=True).nb
    figure_check.install()
    shell = Shell(src)
    t = time.time()
    err = None
    try:
        with working_directory(src.parent):
            shell.run_all(nb, exc_stop=True, preproc=_skip)
    except Exception as e:
        sys.stderr.write(shell.prettytb(fname=src) + '\n')
        err = f'cell {getattr(shell, "_cell_idx", "?")}: {_one_line(shell.exc or e)}'
    outputs = {c.get('id'): c for c in nb.cells if c.cell_type == 'code' and c.get('outputs')}
    page = read_nb(proc_nb)
    for cell in page.cells:
        run = outputs.get(cell.get('id'))
        if cell.cell_type == 'code' and run is not None and not cell.get('outputs'):
            cell['outputs'], cell['execution_count'] = _terminal_outputs(run['outputs']), run.get('execution_count')
    write_nb(page, proc_nb)
    print(f'{"ok  " if err is None else "FAIL"} {src.name} ({time.time() - t:.0f} s){": " + err if err else ""}', flush=True)
    return err


# ---------------------------------------------------------------------------------------------- finishing the pages

def page_names(proc: Path) -> dict:
    "{name Quarto gives the page (its `output-file`): name smalldocs gives it}, from the processed notebooks' front matter."
    names = {}
    for nb in sorted(proc.glob('*.ipynb')):
        cells = json.loads(nb.read_text()).get('cells', [])
        src = ''.join(cells[0]['source']) if cells and cells[0]['cell_type'] == 'raw' else ''
        m = re.match(r'---\n(.*?)\n---', src, re.S)
        front = (yaml.safe_load(m.group(1)) or {}) if m else {}
        if front.get('output-file'):
            names[str(front['output-file'])] = nb.stem + '.html'
    return names


def local_url(url: str, here: str, names: dict) -> str:
    "A link to the published site (`SITE_URL/load.html#x`), made relative to the built page `here` (`00_load.html#x`, or `#x`)."
    if not url.startswith(SITE_URL + '/'):
        return url
    path, _, frag = url[len(SITE_URL) + 1:].partition('#')
    path = names.get(path, path)
    if path == here and frag:
        return '#' + frag
    return path + ('#' + frag if frag else '')


MD_LINK = re.compile(r'\[`([^`<>\[\]]+)`\]\(((?:https?://|#)[^()\s<>"]+)\)')  # a Markdown doc link left as text
NESTED = re.compile(r'\[(<a\b[^>]*>(?:(?!</a>).)*?</a>)\]\(([^()\s<>"]+)\)', re.S)  # [<a ...>x</a>](#x)
HREF = re.compile(r'href="([^"]*)"')
KATEX = re.compile(r'[ \t]*<link[^>]*katex[^>]*>\s*|[ \t]*<script[^>]*katex[^>]*>\s*</script>\s*')
IMG = re.compile(r'(<div class="cell-output cell-output-display)(">\s*(?:<div class="quarto-figure[^>]*>\s*<figure[^>]*>\s*<p>)?)'
                 r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
MATHJAX_CONFIG = ("window.MathJax = {tex: {inlineMath: [['\\\\(', '\\\\)']], displayMath: [['\\\\[', '\\\\]']]}, "
                  "options: {enableEnrichment: false}, svg: {fontCache: 'global'}};")


def png_size(b64_head: str) -> tuple[int, int]:
    "Width and height of a PNG from the start of its base64 (its IHDR chunk)."
    head = base64.b64decode(b64_head[:44])
    if head[:8] != b'\x89PNG\r\n\x1a\n':
        return 0, 0
    return struct.unpack('>II', head[16:24])


def figure_sizes(proc: Path) -> dict:
    """{sha1 of a PNG output's base64: (width, height)} from the outputs' metadata: the size the figure is meant to be shown
    at (matplotlib's retina PNGs have twice as many pixels), which smalldocs does not pass on."""
    sizes = {}
    for nb in proc.glob('*.ipynb'):
        for c in json.loads(nb.read_text()).get('cells', []):
            for o in c.get('outputs', []):
                png = (o.get('data') or {}).get('image/png')
                meta = (o.get('metadata') or {}).get('image/png') or {}
                if png and meta.get('width'):
                    png = (''.join(png) if isinstance(png, list) else png).strip()
                    sizes[hashlib.sha1(png.encode()).hexdigest()] = (int(meta['width']), int(meta.get('height') or 0))
    return sizes


def finish_page(text: str, here: str, names: dict, libs: str, mathjax: bool = True, sizes: dict | None = None) -> str:
    """Post-process one rendered page: doc links, MathJax instead of KaTeX's CDN, figure sizes (from `sizes`, else the
    PNG's own) and the figure script."""
    text = NESTED.sub(lambda m: m.group(1), text)
    text = MD_LINK.sub(lambda m: f'<a href="{html.escape(local_url(m.group(2), here, names))}" class="sd-doclink">{m.group(1)}</a>', text)
    def href(m):
        url = html.unescape(m.group(1))
        new = local_url(url, here, names)
        return m.group(0) if new == url else f'href="{html.escape(new)}"'
    text = HREF.sub(href, text)

    def img(m):
        w, h = (sizes or {}).get(hashlib.sha1(m.group(3).encode()).hexdigest()) or png_size(m.group(3))
        if w and not h:
            pw, ph = png_size(m.group(3))
            h = round(ph * w / pw) if pw else 0
        wide = ' column-page-right sd-wide-figure' if w > WIDE_FIGURE else ''
        size = f'width="{w}" height="{h}" ' if w else ''
        return f'{m.group(1)}{wide}{m.group(2)}<img {size}src="data:image/png;base64,{m.group(3)}"'
    text = IMG.sub(img, text)
    if mathjax and KATEX.search(text):
        text = KATEX.sub('', text)
        text = text.replace('</head>', f'<script>{MATHJAX_CONFIG}</script>\n'
                                       f'<script src="{libs}mathjax/tex-svg-full.js" defer></script>\n</head>', 1)
    return text.replace('</head>', f'<script src="{libs}docs_search.js"></script>\n'
                                   f'<script src="{libs}docs_figures.js" defer></script>\n</head>', 1)


def copy_assets(site: Path) -> bool:
    """MathJax (one self-contained file: SVG output needs no web fonts) and the figure script, into `site_libs/`; a remote
    `@import` in the theme (Bootswatch's Google font) is dropped: the pages use the system's fonts. False when MathJax is
    not installed (`pip install -e ".[dev]"` installs it): the pages then keep KaTeX from its CDN."""
    for css in site.glob('site_libs/**/*.css'):
        text = css.read_text()
        if '@import url(http' in text:
            css.write_text(re.sub(r'@import url\(https?:[^)]*\);?', '', text))
    for js in ('docs_figures.js', 'docs_search.js'):
        shutil.copy(root / 'tools' / js, site / 'site_libs')
    if (site / 'search.json').exists():  # for docs_search.js: the index as a script, which a page opened from disk can load
        index = (site / 'search.json').read_text()
        (site / 'site_libs' / 'search-index.js').write_text(f'window.smalldocsSearchIndex = {index};\n')
    try:
        import mathjax  # PyPI django-static-mathjax: the MathJax 3 distribution under mathjax/static/mathjax
    except ImportError:
        return False
    dist = Path(mathjax.__file__).parent / 'static' / 'mathjax'
    (site / 'site_libs' / 'mathjax').mkdir(parents=True, exist_ok=True)
    shutil.copy(dist / 'es5' / 'tex-svg-full.js', site / 'site_libs' / 'mathjax')
    shutil.copy(dist / 'LICENSE', site / 'site_libs' / 'mathjax')
    return True


def _visible(text: str) -> str:
    "The page without its head, scripts, styles and pictures' data, for the scan."
    text = re.sub(r'<head>.*?</head>|<script\b.*?</script>|<style\b.*?</style>', '', text, flags=re.S)
    return re.sub(r'data:[a-z/+]+;base64,[A-Za-z0-9+/=]+', 'data:', text)


SCAN = [('raw Markdown link', re.compile(r'\]\('), 'page'),
        ('$$ not typeset', re.compile(r'\$\$'), 'page'),
        ('warning in an output', re.compile(r'\b\w*Warning\b(?=:)|\bwarn\('), 'outputs'),
        ('traceback', re.compile(r'Traceback|Error in notebook'), 'outputs'),
        # a NaN printed as a result; not one that an error message quotes back from a bad input ("error: ... got nan")
        ('NaN in an output', re.compile(r'^(?!.*\berror:).*?(?<![\w.])nan(?![\w(])', re.I | re.M), 'outputs'),
        ('source link without a line number', re.compile(r'href="[^"]*\.py#LNone"'), 'source'),
        ('CDN or remote script/style', re.compile(r'<(?:script|link)\b[^>]*(?:src|href)="https?://[^"]*"|@import url\(https?:'),
         'source')]
OUTPUT = re.compile(r'<div class="cell-output cell-output-(?:stdout|stderr|error|display)[^"]*">(?:(?!</div>).)*</div>', re.S)


def check_site(site: Path) -> list[str]:
    """Findings, one line each: leftover markup in the text, warnings, tracebacks and NaN in cell outputs (not in prose or
    signatures, where "NaN" may be documented), broken local links and anchors, remote scripts and styles."""
    pages = {p.name: p.read_text() for p in _pages(site)}
    ids = {n: set(re.findall(r'\bid="([^"]+)"', t)) for n, t in pages.items()}
    out = []
    for name, text in pages.items():
        vis = _visible(text)
        code = re.sub(r'<pre class="sourceCode.*?</pre>', '', vis, flags=re.S)  # signatures and code shown in outputs
        where = {'page': vis, 'source': text, 'outputs': '\n'.join(m.group(0) for m in OUTPUT.finditer(code))}
        for what, rx, part in SCAN:
            src = where[part]
            hits = list(rx.finditer(src))
            if hits:
                snips = ' | '.join(re.sub(r'<[^>]+>|\s+', ' ', src[max(0, m.start() - 70):m.end() + 50]).strip()
                                   for m in hits[:3])
                out.append(f'{name}: {what} x{len(hits)}: {snips}')
        for url in sorted(set(re.findall(r'<a\b[^>]*href="([^"]*)"', text))):
            url = html.unescape(url)
            if url.startswith(SITE_URL):
                out.append(f'{name}: link to the published site left: {url}')
            if re.match(r'[a-z]+:|//', url) or url in ('', '#'):
                continue
            path, _, frag = url.partition('#')
            target = path or name
            if target.endswith('.html') and target not in pages:
                out.append(f'{name}: link to a missing page: {url}')
            elif frag and target in ids and frag not in ids[target]:
                out.append(f'{name}: link to a missing anchor: {url}')
    for css in sorted(site.glob('site_libs/**/*.css')):
        if re.search(r'@import url\(https?:', css.read_text()):
            out.append(f'{css.relative_to(site)}: remote @import')
    return out


COLUMN = 758  # px: the text column at a 1280 px window (tools/screenshot_docs.py measures it)
WIDE_COLUMN = 980  # px: the text column and the margin, where a figure wider than WIDE_FIGURE is shown
MAX_CODE_SHARE = 0.35  # a chapter's page: at most this share of its text is code
CHAR_PX, CELL_PAD_PX = 7.0, 20  # a table's text (0.85rem) and the padding of a cell (nbs/styles.css)
IMG_TAG = re.compile(r'<img\b([^>]*?)src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
TABLE = re.compile(r'<table\b[^>]*class="dataframe[^"]*"[^>]*>.*?</table>', re.S)


def shown_width(w: int) -> int:
    "How wide a figure drawn `w` px wide is shown at a 1280 px window (`nbs/styles.css`): shrunk to the column, or spread."
    return w if w <= COLUMN else COLUMN if w <= WIDE_FIGURE else min(w, WIDE_COLUMN)


def table_width(table: str) -> int:
    """About the narrowest a pandas table can be drawn (px): a cell's text wraps at its spaces, so each column is as wide
    as its longest word, in characters, plus padding; a table wider than its column at that width overflows it."""
    widths = {}
    for row in re.findall(r'<tr\b.*?</tr>', table, re.S):
        for i, cell in enumerate(re.findall(r'<t[hd]\b[^>]*>(.*?)</t[hd]>', row, re.S)):
            words = _text(cell).split() or ['']
            widths[i] = max(widths.get(i, 0), max(len(w) for w in words))
    return round(sum(n * CHAR_PX + CELL_PAD_PX for n in widths.values()))


def readability(site: Path, chapters: set | None = None) -> list[str]:
    """What does not read at the site's column width, one line each: figures (from what `figure_check` measured when the
    notebook drew them: text smaller than `figure_check.MIN_TEXT_PX` at the size shown, piled-up labels, legends over
    data), tables wider than the text column, `-0.0` (or `-0%`) printed, and chapter pages (`chapters`: names, default every page
    but the index) with more than `MAX_CODE_SHARE` of their text in code."""
    out = []
    for p in _pages(site):
        text = p.read_text()
        main = re.search(r'<main\b.*?</main>', text, re.S)
        main = main.group(0) if main else text
        for n, m in enumerate(IMG_TAG.finditer(main), 1):
            width = re.search(r'\bwidth="(\d+)"', m.group(1))
            w = int(width.group(1)) if width else png_size(m.group(2))[0]
            for f in figure_check.problems(figure_check.read(m.group(2)), shown_width(w)):
                out.append(f'{p.name}: figure {n}: {f}')
        for n, t in enumerate(TABLE.findall(main), 1):
            w = table_width(t)
            if w > COLUMN:
                cols = len(re.findall(r'<th\b', re.search(r'<tr\b.*?</tr>', t, re.S).group(0)))
                out.append(f'{p.name}: table {n} ({cols} columns) is about {w} px wide, wider than the text column '
                           f'({COLUMN} px): fewer or narrower columns, key columns first')
        outputs = '\n'.join(_text(o.group(0)) for o in OUTPUT.finditer(_visible(main)))
        for m in re.finditer(r'(?<![\w.])[-−]0(?:\.0+%?|%)(?![\d])', outputs):   # -0.00, -0.0%, −0%: zero printed with a sign
            out.append(f'{p.name}: -0.0 printed: ...{outputs[max(0, m.start() - 40):m.end() + 20]}...')
            break
        share = code_share(text)
        if (p.stem in chapters if chapters is not None else p.stem != 'index') and share > MAX_CODE_SHARE:
            out.append(f'{p.name}: {share:.0%} of the text is code (at most {MAX_CODE_SHARE:.0%}): hide exhaustive tests')
    return out


def slow_cells(nbs: list, proc: Path) -> list[str]:
    """A slow cell (skipped by the tests and the docs build) must not stand on a page with its code and no output: it is
    hidden, or folded with the code cell after it showing a result (read from the data the slow cell saves)."""
    out = []
    for src in nbs:
        cells = [c for c in read_nb(src).cells if c.cell_type == 'code']
        page = proc / src.name
        shown = {c.get('id'): bool(c.get('outputs')) for c in read_nb(page).cells} if page.exists() else {}
        for i, c in enumerate(cells):
            d = c.source.splitlines()
            flags = ' '.join(x for x in d if x.startswith('#|'))
            if not re.search(r'#\|\s*(?:' + '|'.join(skip_flags) + r')\b', flags) or not skip_flags:
                continue
            if re.search(r'#\|\s*(?:hide|echo:\s*false)', flags):
                continue  # not on the page
            if not re.search(r'#\|\s*code-fold', flags):
                out.append(f'{src.name}: slow cell {c.get("id")} shows its code on the page (hide or fold it)')
            nxt = cells[i + 1] if i + 1 < len(cells) else None
            if nxt is None or not shown.get(nxt.get('id')):
                out.append(f'{src.name}: slow cell {c.get("id")}: the next code cell shows no result')
    return out


def _text(fragment: str) -> str:
    return re.sub(r'\s+', ' ', html.unescape(re.sub(r'<[^>]+>', '', fragment))).strip()


def code_share(text: str) -> float:
    """The share of a page's visible characters that are code cells' source (`pre.cell-code`, what a reader scrolls past
    to read the chapter), against all the text of its main column; signatures and outputs count as text. A folded cell
    counts as its summary line, which is what the page shows of it."""
    main = re.search(r'<main\b.*?</main>', _visible(text), re.S)
    main = main.group(0) if main else _visible(text)
    # a folded cell (`#| code-fold: true`) shows only its summary line until a reader opens it
    main = re.sub(r'<details class="code-fold">\s*(<summary>.*?</summary>).*?</details>', r'\1', main, flags=re.S)
    code = sum(len(_text(m)) for m in re.findall(r'<pre class="sourceCode[^"]*\bcell-code\b[^"]*">.*?</pre>', main, re.S))
    total = len(_text(main))
    return code / total if total else 0.0


def unlink_missing(site: Path) -> list[str]:
    """A doc link to an anchor that no page has (nbdev links a private name such as `_stack` that has no `show_doc`)
    becomes plain code; returns what was unlinked, for the report. A private name that has a `show_doc` keeps its link:
    the page's heading anchor drops the leading underscores (`#_stack` is the heading `#stack`), so the link is pointed
    there."""
    pages = {p: p.read_text() for p in _pages(site)}
    ids = {p.name: set(re.findall(r'\bid="([^"]+)"', t)) for p, t in pages.items()}
    gone = []
    for p, text in pages.items():
        def fix(m):
            path, _, frag = html.unescape(m.group(1)).partition('#')
            target = path or p.name
            if frag and target in ids and frag not in ids[target]:
                if frag.lstrip('_') in ids[target]:  # a private name with a show_doc: its heading's anchor
                    return m.group(0).replace(f'#{frag}"', f'#{frag.lstrip("_")}"', 1)
                gone.append(f'{p.name}: doc link to a missing anchor {m.group(1)} unlinked (no show_doc for it)')
                return m.group(2)
            return m.group(0)
        new = re.sub(r'<a href="([^":]*#[^"]+)"[^>]*>(<code>[^<]*</code>)</a>', fix, text)
        if new != text:
            p.write_text(new)
    return gone


REDIRECT = ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><meta name="sd-redirect" content="{to}">'
            '<meta http-equiv="refresh" content="0; url={to}"><title>{to}</title>'
            '<script>location.replace("{to}" + location.hash)</script></head>'
            '<body><a href="{to}">{to}</a></body></html>\n')


def _pages(site: Path) -> list:
    "The site's pages, less the redirects."
    return [p for p in sorted(site.glob('*.html')) if 'name="sd-redirect"' not in p.read_text()[:300]]


TEX_SYMBOLS = {
    'alpha': 'α', 'beta': 'β', 'gamma': 'γ', 'delta': 'δ', 'epsilon': 'ε', 'varepsilon': 'ε', 'zeta': 'ζ', 'eta': 'η',
    'theta': 'θ', 'kappa': 'κ', 'lambda': 'λ', 'mu': 'μ', 'nu': 'ν', 'xi': 'ξ', 'pi': 'π', 'rho': 'ρ', 'sigma': 'σ',
    'tau': 'τ', 'phi': 'φ', 'varphi': 'φ', 'chi': 'χ', 'psi': 'ψ', 'omega': 'ω', 'Gamma': 'Γ', 'Delta': 'Δ',
    'Theta': 'Θ', 'Lambda': 'Λ', 'Sigma': 'Σ', 'Phi': 'Φ', 'Psi': 'Ψ', 'Omega': 'Ω', 'in': '∈', 'notin': '∉',
    'times': '×', 'odot': '⊙', 'otimes': '⊗', 'cdot': '·', 'cdots': '⋯', 'ldots': '…', 'dots': '…', 'le': '≤',
    'leq': '≤', 'ge': '≥', 'geq': '≥', 'neq': '≠', 'ne': '≠', 'approx': '≈', 'sim': '~', 'to': '→', 'rightarrow': '→',
    'leftarrow': '←', 'mapsto': '↦', 'sum': 'Σ', 'prod': 'Π', 'infty': '∞', 'top': 'ᵀ', 'ell': 'ℓ', 'mid': '|',
    'partial': '∂', 'nabla': '∇', 'sqrt': '√', 'pm': '±', 'quad': ' ', 'qquad': ' ', 'left': '', 'right': '',
    'big': '', 'Big': '', 'exp': 'exp', 'log': 'log', 'max': 'max', 'min': 'min', 'arg': 'arg', 'lVert': '‖',
    'rVert': '‖', 'Vert': '‖', 'lvert': '|', 'rvert': '|', 'langle': '⟨', 'rangle': '⟩'}
TEX_WRAPPERS = r'text|textrm|mathrm|operatorname|mathbf|boldsymbol|mathit|mathcal|hat|tilde|bar|overline|vec'


def search_text(text: str) -> str:
    """Search snippets as a reader types and reads them: the page's TeX (which the index keeps as source, without its
    delimiters) turned into plain symbols — `\\Delta_t \\in \\mathbb{R}^{D}` reads `Δ_t ∈ ℝ^D`. Only known commands
    are replaced, so code that shows a backslash (`'\\U0001F5FC'`) stays as it is."""
    for _ in range(3):  # nested wrappers: \text{\mathrm{x}}
        text = re.sub(r'\\(?:' + TEX_WRAPPERS + r')\{([^{}]*)\}', r'\1', text)
    text = re.sub(r'\\mathbb\{R\}', 'ℝ', text)
    text = re.sub(r'\\mathbb\{([A-Z])\}', r'\1', text)
    text = re.sub(r'\\t?frac\{([^{}]*)\}\{([^{}]*)\}', r'(\1)/(\2)', text)
    text = re.sub(r'\\([_%&#$])', r'\1', text)
    text = re.sub(r'\\[,;:! ]', ' ', text)
    text = re.sub(r'\\([A-Za-z]+)(?![A-Za-z])', lambda m: TEX_SYMBOLS.get(m.group(1), m.group(0)), text)
    return re.sub(r'([_^])\{([^{}]*)\}', r'\1\2', text)


def finish_site(site: Path, proc: Path) -> list[str]:
    """Finish every page of the built `site` (see the module's docstring) and return the scan's findings. Each page also
    answers at the name Quarto gives it (`load.html`, a redirect to `00_load.html` keeping the anchor), so that links to
    the published site's pages work on this one."""
    names = page_names(proc)
    search = site / 'search.json'
    if search.exists():  # the search index shows text: a doc link left as Markdown shows as its name, TeX as symbols
        entries = json.loads(search.read_text())
        for e in entries:
            for k in ('title', 'section', 'text'):
                if isinstance(e.get(k), str):
                    e[k] = search_text(re.sub(r'\[`([^`\]]+)`\]\([^()\s]+\)', r'`\1`', e[k]))
        search.write_text(json.dumps(entries, ensure_ascii=False))
    mathjax, sizes = copy_assets(site), figure_sizes(proc)
    for quarto, ours in names.items():
        if quarto != ours and not (site / quarto).exists() and (site / ours).exists():
            (site / quarto).write_text(REDIRECT.format(to=ours))
    for page in _pages(site):
        text = page.read_text()
        m = re.search(r'<meta name="smalldocs:offset" content="([^"]*)"', text)
        libs = ('' if not m or m.group(1) == './' else m.group(1)) + 'site_libs/'
        page.write_text(finish_page(text, page.name, names, libs, mathjax, sizes))
    findings = unlink_missing(site) + check_site(site)
    (site / 'readability.txt').write_text(''.join(f + '\n' for f in readability(site) +
                                                  slow_cells(sorted(Path(cfg.nbs_path).glob('*.ipynb')), proc)))
    if not mathjax:
        findings.insert(0, 'MathJax is not installed (pip install django-static-mathjax, a dev requirement): '
                           'the equations need KaTeX from its CDN')
    (site / 'docs_check.txt').write_text(''.join(f + '\n' for f in findings))
    return findings


def main():
    proc = root / '_proc'
    failed = {}
    if '--render-only' not in sys.argv:
        shutil.rmtree(proc, ignore_errors=True)
        proc.mkdir()
        import nbdev.doclinks
        nbdev.doclinks._build_modidx()
        failed = process(proc)  # what `nbdev_proc_nbs` does, without its attempt to install Quarto
        if '--no-exec' not in sys.argv:
            for nb in sorted(proc.glob('*.ipynb')):
                if nb.name not in failed and not from_test_run(Path(cfg.nbs_path) / nb.name, nb):
                    err = execute(Path(cfg.nbs_path) / nb.name, nb)
                    if err:
                        failed[nb.name] = err
    else:  # the site's settings and styles as they are now
        for f in Path(cfg.nbs_path).glob('*'):
            if f.suffix in ('.yml', '.css', '.js', '.html'):
                shutil.copy(f, proc / f.name)
    subprocess.run(['smalldocs', 'render', '--quiet', str(proc)], check=True)
    out = root / '_docs'
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(proc / '_docs', out)
    findings = finish_site(out, proc)
    shares = {p.stem: code_share(p.read_text()) for p in _pages(out)}
    print('code share of each page (cell source / all text): ' + ', '.join(f'{k} {v:.0%}' for k, v in shares.items()))
    for f in findings:
        print(f'check: {f}')
    unread = [f for f in (out / 'readability.txt').read_text().splitlines() if f]
    for f in unread:
        print(f'FAIL readability: {f}')
    for name, err in failed.items():
        print(f'FAILED {name}: {err}')
    print(f'Site written to {out / "index.html"}: {len(_pages(out))} pages, {len(failed)} notebook(s) failed, '
          f'{len(findings)} finding(s) of the page scan (in {out / "docs_check.txt"})')
    return 1 if failed or unread or ('--strict' in sys.argv and findings) else 0


if __name__ == '__main__':
    sys.exit(main())
