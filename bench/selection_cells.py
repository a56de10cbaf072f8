"""Per-fact traces and selection shifts for the bootstrap statistics of the storage chapter (not a test).

For an even spread of the facts each toy model gets right (first training template of the shipped world), every
(token, layer) cell of: the indirect effect of each restoring kind (Mamba: the residual stream, the mixer output, the state
h, the conv window, Δ+B+C; GPT-2: the residual stream, the MLP, attention) and, for the Mamba, the relative shift of Δ, B
and C under the same corruption. Noise: 3σ, σ from the subjects of every fact the model gets right, `samples` rows.
Saved as one .npz (arrays padded with NaN to the longest prompt, with each fact's length and subject range) plus a .json
of the settings; `nbs/04a_storage.ipynb` computes its per-stratum statistics from these cells.

    python bench/selection_cells.py [--facts 200] [--samples 5] [--out nbs/data/selection_cells.npz]

Run with OMP_NUM_THREADS=1 (about 5 s per fact for the Mamba, 0.5 s for the GPT-2 on one core).
"""
import argparse, json, time, warnings
from pathlib import Path
import numpy as np
import torch

from mamba_mediation.load import load_model
from mamba_mediation.localize import spread, world_facts, known_records, trace_kind, AVERAGE_KINDS
from mamba_mediation.storage import selection_shift, SELECTION
from mamba_mediation.corrupt import Corruption, collect_embedding_std


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--facts', type=int, default=200)
    ap.add_argument('--samples', type=int, default=5)
    ap.add_argument('--out', default='nbs/data/selection_cells.npz')
    a = ap.parse_args()
    torch.set_num_threads(1); warnings.filterwarnings('ignore')
    arrays, meta = {}, dict(facts=a.facts, samples=a.samples, noise='k=3 sigma, sigma from the subjects of every known fact', models={})
    for name, fam in (('toy-mamba', 'mamba'), ('toy-gpt2', 'transformer')):
        t0 = time.perf_counter()
        mt = load_model(name, device='cpu')
        known = known_records(mt, world_facts())
        sigma = collect_embedding_std(mt, [r['subject'] for r in known])
        recs = spread(known, a.facts)
        kinds = AVERAGE_KINDS[fam]
        rows = {('resid' if k is None else k): [] for k in kinds}
        if fam == 'mamba': rows.update({f'shift/{k}': [] for k in SELECTION})
        lengths, ranges = [], []
        for i, r in enumerate(recs):
            for k in kinds:
                tr = trace_kind(mt, r['prompt'], r['subject'], k, samples=a.samples, noise=Corruption(sigma=sigma))
                rows['resid' if k is None else k].append(tr.indirect_effect)
            if fam == 'mamba':
                s = selection_shift(mt, r['prompt'], r['subject'], samples=a.samples, noise=Corruption(sigma=sigma))
                for k in SELECTION: rows[f'shift/{k}'].append(s.shift[k])
            lengths.append(tr.indirect_effect.shape[0]); ranges.append(tr.subject_range)
            if i % 20 == 0: print(name, i, f'{time.perf_counter() - t0:.0f} s', flush=True)
        T, L = max(lengths), mt.arch.n_layer
        for k, v in rows.items():
            pad = np.full((len(recs), T, L), np.nan, np.float32)
            for j, x in enumerate(v): pad[j, :len(x)] = x
            arrays[f'{name}/{k}'] = pad
        arrays[f'{name}/length'] = np.array(lengths); arrays[f'{name}/subject_range'] = np.array(ranges)
        meta['models'][name] = dict(n_known=len(known), n_facts=len(recs), kinds=[('resid' if k is None else k) for k in kinds],
                                    prompts=[r['prompt'] for r in recs], seconds=round(time.perf_counter() - t0, 1))
        print(name, 'done', meta['models'][name]['seconds'], 's', flush=True)
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    out.with_suffix('.json').write_text(json.dumps(meta, indent=0))
    print('->', out)


if __name__ == '__main__': main()
