"""Checks of the docs build's page finishing (tools/build_docs.py), on small hand-written pages; no notebook is run.
Usage (from the repository root): `python tools/test_build_docs.py` (prints how many checks passed; exit 1 on a failure)."""
import base64
import re
import hashlib
import struct
import sys
import tempfile
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_docs as bd  # noqa: E402
from fastcore.test import test_eq  # noqa: E402

SITE = bd.SITE_URL
NAMES = {'load.html': '00_load.html', 'hooks.html': '01_hooks.html'}


def png(w: int, h: int) -> str:
    "A real (blank, grey) PNG of w x h pixels, as base64."
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    raw = b''.join(b'\0' + b'\x80' * w for _ in range(h))
    body = chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
    return base64.b64encode(b'\x89PNG\r\n\x1a\n' + body).decode()


def page(body: str, head: str = '') -> str:
    return f'<html><head><meta name="smalldocs:offset" content="./">{head}</head><body><main class="content">{body}</main></body></html>'


def test_links():
    # a published-site link becomes the built page, and an anchor on this page stays on it
    test_eq(bd.local_url(f'{SITE}/load.html#load_model', '01_hooks.html', NAMES), '00_load.html#load_model')
    test_eq(bd.local_url(f'{SITE}/hooks.html#trace', '01_hooks.html', NAMES), '#trace')
    test_eq(bd.local_url('https://github.com/x/y', '01_hooks.html', NAMES), 'https://github.com/x/y')
    # a doc link nbdev left as Markdown in a signature's comment becomes a link to the built page
    sig = (f'<span class="co"># default [`tiny_tokenizer()`]({SITE}/load.html#tiny_tokenizer)</span>')
    out = bd.finish_page(page(sig), '01_hooks.html', NAMES, 'site_libs/', mathjax=False)
    assert '<a href="00_load.html#tiny_tokenizer" class="sd-doclink">tiny_tokenizer()</a>' in out, out
    assert '](' not in out
    # a link nested in a link (the author's [`Trace`](#trace), linked again by nbdev) keeps one link
    nested = f'([<a href="{SITE}/hooks.html#trace"><code>Trace</code></a>](#trace), x)'
    out = bd.finish_page(page(nested), '01_hooks.html', NAMES, 'site_libs/', mathjax=False)
    assert '(<a href="#trace"><code>Trace</code></a>, x)' in out, out


def test_math_and_assets():
    katex = ('<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex@0.16.11/dist/katex.min.css">\n'
             '<script src="https://cdn.jsdelivr.net/npm/katex@0.16.11/dist/katex.min.js" defer></script>\n')
    out = bd.finish_page(page('<span class="math inline">\\(h_t\\)</span>', katex), 'index.html', NAMES, 'site_libs/')
    assert 'katex' not in out and 'cdn.' not in out, out
    assert '<script src="site_libs/mathjax/tex-svg-full.js" defer></script>' in out
    with tempfile.TemporaryDirectory() as d:
        site = Path(d)
        (site / 'site_libs' / 'themes').mkdir(parents=True)
        (site / 'site_libs' / 'themes' / 't.css').write_text('@import url(https://fonts.example/css?a=1;b);body{x:y}')
        assert bd.copy_assets(site), 'MathJax (django-static-mathjax, a dev requirement) is not installed'
        assert (site / 'site_libs' / 'mathjax' / 'tex-svg-full.js').stat().st_size > 1_000_000
        test_eq((site / 'site_libs' / 'themes' / 't.css').read_text(), 'body{x:y}')


def test_figures():
    small, wide = png(40, 10), png(2000, 500)
    body = ''.join(f'<div class="cell-output cell-output-display">\n<img src="data:image/png;base64,{b}" class="img-fluid">\n</div>'
                   for b in (small, wide))
    # the retina figure is meant for half its pixels: its metadata size wins
    sizes = {hashlib.sha1(wide.encode()).hexdigest(): (1000, 250)}
    out = bd.finish_page(page(body), '02_trace.html', NAMES, 'site_libs/', mathjax=False, sizes=sizes)
    assert '<div class="cell-output cell-output-display">\n<img width="40" height="10" src=' in out, out[:400]
    assert '<div class="cell-output cell-output-display column-page-right sd-wide-figure">\n<img width="1000" height="250"' in out
    assert '<script src="site_libs/docs_figures.js" defer></script>' in out
    test_eq(bd.png_size(wide), (2000, 500))


def test_scan_and_unlink():
    with tempfile.TemporaryDirectory() as d:
        site = Path(d)
        (site / 'a.html').write_text(page('<h3 id="f">f</h3><a href="#f"><code>f</code></a> <a href="#_g"><code>_g</code></a>'
                                          '<h3 id="h">_h</h3><a href="#_h"><code>_h</code></a>'
                                          '<div class="cell-output cell-output-stdout"><pre><code>mean p = nan\n'
                                          'x.py:1: UserWarning: careful\nmamba-mediation trace: error: k must be finite, got nan</code></pre></div><p>text [x](y.html)</p>'
                                          '<a href="b.html">b</a><a href="a.html#nope">n</a>'
                                          '<a href="https://github.com/o/r/blob/main/m/world.py#LNone">source</a>'))
        gone = bd.unlink_missing(site)
        test_eq(len(gone), 1)
        text = (site / 'a.html').read_text()
        assert '<a href="#f"><code>f</code></a>' in text and ' <code>_g</code>' in text
        assert '<a href="#h"><code>_h</code></a>' in text  # a private name with a show_doc: its heading's anchor
        found = '\n'.join(bd.check_site(site))
        for what in ('NaN in an output', 'warning in an output', 'raw Markdown link', 'missing page: b.html',
                     'missing anchor: a.html#nope', 'source link without a line number'):
            assert what in found, (what, found)
        assert 'NaN in an output x1' in found, found  # the result, not the error message that quotes the bad input


def test_search_snippets_without_tex():
    tex = r'step sizes \Delta_t \in \mathbb{R}^{D}, x, z = \text{in\_proj}(h); \tfrac{1}{2}\,\lVert a \odot b\rVert'
    test_eq(bd.search_text(tex), 'step sizes Δ_t ∈ ℝ^D, x, z = in_proj(h); (1)/(2) ‖ a ⊙ b‖')
    code = r"""p = 'The Eiffel Tower \U0001F5FC is'; '\n'.join(x); path = 'C:\index'"""
    test_eq(bd.search_text(code), code)  # a backslash that is not a TeX command stays


def test_code_share():
    cell = '<div class="sourceCode"><pre class="sourceCode python code-with-copy cell-code"><code>x = 1 + 2</code></pre></div>'
    sig = '<div class="sourceCode"><pre class="sourceCode python code-with-copy"><code>def f(a)</code></pre></div>'
    text = page(f'<main class="content"><p>0123456789</p>{cell}{sig}</main>')
    test_eq(round(bd.code_share(text), 3), round(len('x = 1 + 2') / len('0123456789x = 1 + 2def f(a)'), 3))
    test_eq(bd.code_share(page('<main><p>prose only</p></main>')), 0.0)
    # a folded cell counts as its summary line
    folded = f'<details class="code-fold">\n<summary>Code</summary>\n{cell}</details>'
    text = page(f'<main class="content"><p>0123456789</p>{folded}</main>')
    test_eq(round(bd.code_share(text), 3), 0.0)
    test_eq(bd._text(re.search(r'<main.*</main>', text, re.S).group(0)).count('x = 1'), 1)


def _figure_png(**kw) -> str:
    "A matplotlib figure as the notebook's PNG (with `figure_check`'s measurement), base64."
    import io
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import figure_check
    figure_check.install()
    fig, ax = plt.subplots(figsize=kw.get('size', (6, 3)))
    ax.plot(range(10), range(10), label='rising')
    ax.plot(range(10), range(9, -1, -1), label='falling')
    ax.legend(**kw.get('legend', {}))
    ax.set_xticks(range(10), [f'token {i}' for i in range(10)], fontsize=kw.get('ticks', 10), rotation=kw.get('rotation', 90))
    buf = io.BytesIO()
    fig.savefig(buf, format='png', bbox_inches='tight')
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def test_readability():
    import figure_check
    # a readable figure: 10 pt text at its drawn size, the legend outside the axes
    ok = _figure_png(legend=dict(loc='upper left', bbox_to_anchor=(1.01, 1)))
    meta = figure_check.read(ok)
    assert meta and meta['min_pt'] == 10 and not meta['covered'] and not meta['n_overlaps'], meta
    test_eq(figure_check.problems(meta, meta['w_in'] * 72), [])
    # the same figure shrunk to a third: 10 pt becomes 3.3 px
    small = figure_check.problems(meta, meta['w_in'] * 72 / 3)
    assert len(small) == 1 and small[0].startswith('text 3.3 px'), small
    # a legend in the middle covers both lines; 4 pt ticks are too small; 14 pt ticks on a narrow figure pile up
    bad = figure_check.read(_figure_png(legend=dict(loc='center'), ticks=4))
    test_eq(bad['covered'][0]['data'], ['falling', 'rising'])
    assert any(p.startswith('text 4.0 px') for p in figure_check.problems(bad, bad['w_in'] * 72))
    # a Figure made without pyplot (a bare canvas) is measured too
    import io
    from matplotlib.figure import Figure
    bare = Figure(figsize=(4, 2))
    bare.subplots().plot([0, 1], [0, 1])
    buf = io.BytesIO()
    bare.savefig(buf, format='png')
    test_eq(figure_check.read(base64.b64encode(buf.getvalue()).decode())['min_pt'], 10.0)
    piled = figure_check.read(_figure_png(size=(2, 2), ticks=14, rotation=0, legend=dict(loc='upper left', bbox_to_anchor=(1.01, 1))))
    assert piled['n_overlaps'] > 0, piled
    # two box plots on a shared x axis draw each layer's label twice in one place: that reads as one label
    import matplotlib.pyplot as plt
    fig, axs = plt.subplots(2, 1, sharex=True)
    for ax in axs:
        ax.boxplot([[1, 2, 3]] * 8, positions=range(8))
    buf = io.BytesIO()
    fig.savefig(buf, format='png', bbox_inches='tight')
    plt.close(fig)
    test_eq(figure_check.read(base64.b64encode(buf.getvalue()).decode())['n_overlaps'], 0)
    # on a page: the figure as shown (a wide one spreads into the margin), a wide table, -0.0, the code share
    test_eq([bd.shown_width(w) for w in (500, 800, 900, 2000)], [500, bd.COLUMN, 900, bd.WIDE_COLUMN])
    # a table is as narrow as its longest words: 16 columns of 'column_i' overflow, a long sentence in a cell wraps
    wide = '<table class="dataframe"><tr>' + ''.join(f'<th>column_{i}</th>' for i in range(16)) + '</tr></table>'
    test_eq(bd.table_width('<table><tr><td>' + 'word ' * 300 + '</td></tr></table>'), 4 * bd.CHAR_PX + bd.CELL_PAD_PX)
    narrow = '<table class="dataframe"><tr><th>layer</th><th>p</th></tr><tr><td>0</td><td>0.5</td></tr></table>'
    out = '<div class="cell-output cell-output-stdout"><pre><code>effect -0.000 and -0.01</code></pre></div>'
    with tempfile.TemporaryDirectory() as d:
        site = Path(d)
        img = f'<div class="cell-output cell-output-display"><img width="{round(meta["w_in"] * 72)}" src="data:image/png;base64,{{}}"></div>'
        (site / 'a.html').write_text(page(f'<main class="content"><p>text</p>{img.format(ok)}{narrow}</main>'))
        (site / 'b.html').write_text(page(f'<main class="content"><p>text</p>{img.format(_figure_png(legend=dict(loc="center")))}'
                                          f'{wide}{out}<pre class="sourceCode python cell-code">{"x" * 400}</pre></main>'))
        found = bd.readability(site)
        assert not [f for f in found if f.startswith('a.html')], found
        b = [f.split(': ', 2)[1] + ': ' + f.split(': ', 2)[2][:20] for f in found if f.startswith('b.html')]
        test_eq(len(b), 4)
        assert any('legend covers data' in f for f in found) and any('table 1 (16 columns)' in f for f in found)
        assert any('-0.0 printed' in f for f in found) and any('of the text is code' in f for f in found), found
    # a share that rounds to zero printed with its sign is found too (−0% in prose); 0% and a real -0.01 are not
    for text, bad in (('a share of -0% [-1%, 1%]', True), ('a share of −0.0% here', True), ('shares 0% and -0.01 and -0.5%', False)):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / 'c.html').write_text(page(f'<main class="content"><p>text</p><div class="cell-output cell-output-stdout">'
                                                 f'<pre><code>{text}</code></pre></div></main>'))
            test_eq(any('-0.0 printed' in f for f in bd.readability(Path(d))), bad)


def test_slow_cells():
    from execnb.nbio import new_nb, mk_cell, write_nb
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        cells = [mk_cell('#| slow\nrun_for_an_hour()', cell_type='code'), mk_cell('show(saved)', cell_type='code'),
                 mk_cell('#| slow\n#| code-fold: true\nrun_again()', cell_type='code'), mk_cell('show(saved2)', cell_type='code'),
                 mk_cell('#| slow\n#| hide\na_slow_test()', cell_type='code'), mk_cell('x = 1', cell_type='code')]
        for i, c in enumerate(cells):
            c['id'] = f'c{i}'
        write_nb(new_nb(cells), d / 'x.ipynb')
        (d / 'proc').mkdir()
        shown = new_nb([mk_cell('', cell_type='code') for _ in cells])
        for i, c in enumerate(shown.cells):
            c['id'] = f'c{i}'
        shown.cells[1]['outputs'] = [{'output_type': 'stream', 'name': 'stdout', 'text': 'saved result'}]
        write_nb(shown, d / 'proc' / 'x.ipynb')
        found = bd.slow_cells([d / 'x.ipynb'], d / 'proc')
        test_eq(found, ['x.ipynb: slow cell c0 shows its code on the page (hide or fold it)',
                        'x.ipynb: slow cell c2: the next code cell shows no result'])


def test_progress_bars_as_a_terminal_shows_them():
    bar = '\rrun:   0%|  | 0/4 [00:00<?]\rrun:  50%|# | 2/4 [00:01<00:01]\rrun: 100%|##| 4/4 [00:02<00:00]\n'
    test_eq(bd.as_terminal(bar), 'run: 100%|##| 4/4 [00:02<00:00]\n')
    test_eq(bd.as_terminal('a\nb\n'), 'a\nb\n')                # text without carriage returns is untouched
    test_eq(bd.as_terminal('x\r\ny\n'), 'x\ny\n')             # a Windows line end is not a redraw
    outs = bd._terminal_outputs([dict(output_type='stream', name='stderr', text=['\ra 1', '\ra 2\n']),
                                 dict(output_type='display_data', data={'text/plain': '\rkeep'})])
    test_eq(outs[0]['text'], 'a 2\n'); test_eq(outs[1]['data']['text/plain'], '\rkeep')


def test_stdout_kept_with_semicolon():
    from execnb.nbio import mk_cell, new_nb
    nb = new_nb([mk_cell("print('shown'); 1 + 1;")])
    bd.Shell().run_all(nb)
    test_eq([o['output_type'] for o in nb.cells[0].outputs], ['stream'])
    test_eq(''.join(nb.cells[0].outputs[0]['text']), 'shown\n')


def test_outputs_from_the_test_run():
    "A notebook tested by tools/run_nbs.py is not run again by the docs build, unless its content changed since."
    import json, shutil, subprocess
    from execnb.nbio import mk_cell, new_nb, read_nb, write_nb
    nbs = bd.root / 'nbs'
    src = nbs / '_tmp_reuse_check.ipynb'
    kept = bd.root / '_proc_exec' / (src.stem + '.json')
    try:
        nb = new_nb([mk_cell("print('from the test run')"), mk_cell('1 + 1'), mk_cell('#| hide\nassert 2 + 2 == 4')])
        write_nb(nb, src)
        r = subprocess.run([sys.executable, str(bd.root / 'tools' / 'run_nbs.py'), str(src)], capture_output=True, text=True)
        test_eq(r.returncode, 0)
        assert r.stdout.splitlines()[-1] == '1 passed, 0 failed', r.stdout
        with tempfile.TemporaryDirectory() as d:
            page = Path(d) / src.name
            shutil.copy(src, page)
            assert bd.from_test_run(src, page)
            cells = read_nb(page).cells
            test_eq(''.join(cells[0].outputs[0]['text']), 'from the test run\n')
            test_eq(''.join(cells[1].outputs[0]['data']['text/plain']), '2')
            src.write_text(src.read_text().replace('1 + 1', '1 + 2'))  # changed since the test run: not reused
            shutil.copy(src, page)
            assert not bd.from_test_run(src, page)
            assert not read_nb(page).cells[1].get('outputs')
        src.write_text(src.read_text().replace('2 + 2 == 4', '2 + 2 == 5'))  # a failing test keeps nothing
        r = subprocess.run([sys.executable, str(bd.root / 'tools' / 'run_nbs.py'), str(src)], capture_output=True, text=True)
        test_eq(r.returncode, 1)
        assert r.stdout.splitlines()[-1] == '0 passed, 1 failed', r.stdout
        assert not kept.exists()
    finally:
        src.unlink(missing_ok=True)
        kept.unlink(missing_ok=True)


if __name__ == '__main__':
    tests = [v for k, v in list(globals().items()) if k.startswith('test_') and callable(v) and k != 'test_eq']
    failed = 0
    for t in tests:
        try:
            t()
            print(f'ok   {t.__name__}')
        except Exception as e:
            failed += 1
            print(f'FAIL {t.__name__}: {type(e).__name__}: {e}')
    print(f'docs tool checks: {len(tests) - failed} of {len(tests)} passed')  # not the 'N passed, N failed' line CI reads
    sys.exit(1 if failed else 0)
