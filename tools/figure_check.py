"""Is a figure readable where the docs site shows it? Measured on the figure itself, when a notebook draws it.

`install()` (called by `tools/run_nbs.py` and `tools/build_docs.py` before a notebook runs, in the process that runs it)
wraps matplotlib's `print_figure`: every PNG that a cell's figure becomes carries, in a `tEXt` chunk named
`mm-figure`, what `measure` found on the drawn figure:

- `w_in`: the width of what is saved (matplotlib's tight bounding box), in inches;
- `min_pt`, `min_text`: the smallest font size of any visible text (tick labels included), and that text;
- `overlaps`: pairs of visible texts that should stand apart — the tick labels of one axis, the texts and annotations
  of one axes, the figure's own texts, upright or vertical — whose boxes overlap by more than a fifth of the smaller one
  (labels piled up);
- `covered`: legends that cover data: an axes' legend box containing a point of one of its lines (or a point sampled
  along a segment), a scatter point or part of a bar.

`problems(meta, shown_px)` turns that into findings for a figure shown `shown_px` wide on the page: text smaller than
`MIN_TEXT_PX` CSS pixels at that scale (a point is a CSS pixel at 72 dpi), piled-up labels, legends over data.
`read(b64)` reads the chunk back from a PNG's base64."""
import base64
import json
import struct
import zlib

KEY = 'mm-figure'
MIN_TEXT_PX = 8.0


def _visible_texts(fig):
    "Every text of the figure a reader sees: visible, not empty, not fully transparent."
    from matplotlib.text import Text
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and t.get_alpha() != 0]


def _inside(box, pts):
    import numpy as np
    pts = np.asarray(pts, dtype=float).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(1)]
    return bool(((pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0) & (pts[:, 1] < box.y1)).any())


def _along(xy, n=12):
    "Points along each segment of a polyline (display coordinates), so that a line crossing a box is caught."
    import numpy as np
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) < 2:
        return xy
    t = np.linspace(0, 1, n)[:, None, None]
    return (xy[:-1][None] * (1 - t) + xy[1:][None] * t).reshape(-1, 2)


def measure(fig) -> dict:
    "What `install` writes into a figure's PNG (see the module's docstring)."
    if hasattr(fig.canvas, 'get_renderer'):
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
    else:  # a Figure made without pyplot has a bare canvas: matplotlib's own renderer for measuring
        r = fig._get_renderer()
        fig.draw(r)
    tight = fig.get_tightbbox(r)
    texts = _visible_texts(fig)
    # texts clipped away or outside the saved area do not count
    boxes = []
    for t in texts:
        try:
            b = t.get_window_extent(r)
        except Exception:
            continue
        if b.width > 0 and b.height > 0:
            boxes.append((t, b))
    sizes = [(t.get_fontsize(), t.get_text()) for t, _ in boxes]
    overlaps = []
    groups = []  # texts that must not overlap each other: one axis's tick labels, an axes' own texts, the figure's
    for ax in fig.axes:
        groups += [ax.xaxis.get_ticklabels(), ax.yaxis.get_ticklabels(), list(ax.texts)]
    groups.append(list(fig.texts))
    box_of = {id(t): b for t, b in boxes}
    for group in groups:
        # a slanted label's box is much larger than its letters: only upright or vertical labels are compared
        items = [(t, box_of[id(t)]) for t in group if id(t) in box_of and t.get_rotation() % 90 == 0]
        for i, (t1, b1) in enumerate(items):
            for t2, b2 in items[i + 1:]:
                w = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
                h = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
                if w > 0 and h > 0 and w * h > 0.2 * min(b1.width * b1.height, b2.width * b2.height):
                    same = t1.get_text() == t2.get_text() and w * h > 0.9 * max(b1.width * b1.height, b2.width * b2.height)
                    if not same:  # one label drawn twice in one place (a shared axis) reads as one
                        overlaps.append([t1.get_text()[:30], t2.get_text()[:30]])
    covered = []
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is None or not leg.get_visible():
            continue
        box = leg.get_window_extent(r)
        what = []
        for line in ax.get_lines():
            if line.get_visible() and line.get_label() and len(line.get_xydata()):
                xy = line.get_transform().transform(line.get_xydata())
                if _inside(box, _along(xy) if line.get_linestyle() not in ('None', '', ' ') else xy):
                    what.append(line.get_label())
        for coll in ax.collections:
            offs = coll.get_offsets()
            if coll.get_visible() and len(offs) and type(coll).__name__ == 'PathCollection':
                if _inside(box, coll.get_offset_transform().transform(offs)):
                    what.append(coll.get_label() or 'points')
        for p in ax.patches:
            if p.get_visible() and type(p).__name__ == 'Rectangle':
                pb = p.get_window_extent(r)
                if pb.width > 1 and pb.height > 1 and pb.overlaps(box):
                    what.append(p.get_label() if not p.get_label().startswith('_') else 'bars')
                    break
        if what:
            covered.append({'axes': ax.get_title()[:40] or ax.get_ylabel()[:40], 'data': sorted(set(what))[:4]})
    small = min(sizes) if sizes else (0, '')
    return {'w_in': round(tight.width, 3), 'min_pt': round(float(small[0]), 2), 'min_text': small[1][:40],
            'overlaps': overlaps[:5], 'n_overlaps': len(overlaps), 'covered': covered}


def install():
    "Wrap matplotlib's `print_figure` so that every PNG carries `measure`'s findings (once per process)."
    from matplotlib.backend_bases import FigureCanvasBase
    if getattr(FigureCanvasBase.print_figure, '_mm_figure', False):
        return
    orig = FigureCanvasBase.print_figure

    def print_figure(self, filename, *args, **kwargs):
        fmt = kwargs.get('format') or (filename.rsplit('.', 1)[-1] if isinstance(filename, str) else 'png')
        if fmt == 'png':
            try:
                meta = dict(kwargs.get('metadata') or {})
                meta[KEY] = json.dumps(measure(self.figure))
                kwargs['metadata'] = meta
            except Exception as e:  # a measurement that fails must not break the figure
                kwargs['metadata'] = {**(kwargs.get('metadata') or {}), KEY: json.dumps({'error': str(e)[:200]})}
        return orig(self, filename, *args, **kwargs)
    print_figure._mm_figure = True
    FigureCanvasBase.print_figure = print_figure


def read(b64: str) -> dict | None:
    "The `mm-figure` chunk of a PNG given as base64, or None."
    data = base64.b64decode(b64)
    i = 8
    while i + 8 <= len(data):
        n, kind = struct.unpack('>I4s', data[i:i + 8])
        body = data[i + 8:i + 8 + n]
        if kind == b'tEXt' and body.startswith(KEY.encode() + b'\0'):
            return json.loads(body[len(KEY) + 1:].decode('latin-1'))
        if kind == b'zTXt' and body.startswith(KEY.encode() + b'\0'):
            return json.loads(zlib.decompress(body[len(KEY) + 2:]).decode('latin-1'))
        i += 12 + n
    return None


def problems(meta: dict | None, shown_px: float) -> list[str]:
    "What a reader cannot read in a figure shown `shown_px` CSS pixels wide (see the module's docstring)."
    if not meta or 'error' in meta or not meta.get('w_in'):
        return []
    out = []
    px = meta['min_pt'] * shown_px / (meta['w_in'] * 72)
    if meta['min_pt'] and px < MIN_TEXT_PX:
        out.append(f'text {px:.1f} px at page scale (smallest: {meta["min_pt"]:g} pt {meta["min_text"]!r}, figure '
                   f'{meta["w_in"]:.1f} in shown {shown_px:.0f} px wide; at least {MIN_TEXT_PX:g} px)')
    if meta.get('n_overlaps'):
        out.append(f'{meta["n_overlaps"]} pair(s) of labels overlap, e.g. {meta["overlaps"][0]}')
    for c in meta.get('covered', []):
        out.append(f'legend covers data ({", ".join(c["data"])}) in axes {c["axes"]!r}')
    return out
