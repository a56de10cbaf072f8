"""Write README.md from nbs/index.ipynb (what `nbdev_readme` does, without needing Quarto).

Markdown cells are copied; code cells that are not hidden (`#| hide`) become Python code blocks.
The notebook's title cell (`# title` and `> description`) becomes the README's heading.
Run from the repository root: `python tools/make_readme.py` (CI checks README.md is up to date with `--check`)."""
import json
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
nb = json.loads((root / 'nbs' / 'index.ipynb').read_text(encoding='utf-8'))
parts = []
for cell in nb['cells']:
    src = ''.join(cell['source']).strip()
    if not src:
        continue
    if cell['cell_type'] == 'markdown':
        parts.append(src)
    elif cell['cell_type'] == 'code':
        lines = src.splitlines()
        flags = [ln for ln in lines if ln.startswith('#|')]
        if any('hide' in f or 'include: false' in f for f in flags):
            continue
        body = '\n'.join(ln for ln in lines if not ln.startswith('#|')).strip()
        parts.append(f'```python\n{body}\n```')
text = '<!-- Generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->\n\n'
text += '\n\n'.join(parts) + '\n'
readme = root / 'README.md'
if '--check' in sys.argv:
    if not readme.exists() or readme.read_text(encoding='utf-8') != text:
        sys.exit('README.md is out of date with nbs/index.ipynb: run `python tools/make_readme.py`.')
else:
    readme.write_text(text, encoding='utf-8')
