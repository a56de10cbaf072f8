#!/usr/bin/env python
"""ROME's average indirect effect of every kind of site (`localize.AVERAGE_KINDS`: the residual stream and each
layer's output -- the Mamba's mixer, the GPT-2's MLP and attention -- and the Mamba's state h, conv window and
selection Δ, B, C), by token group and layer, for every seed of the recipe's twins in the user's model cache
(`bench/train_seeds.py` trains them), over an even spread of the facts each model gets right, at each model's
calibrated noise drawn per fact: the numbers behind the seed spreads of the localization and storage chapters.
Writes `nbs/data/seed_aie/aie_<model>@<seed>.npz` (+ .json), the format of `localize.save_averages`.

    python bench/seed_averages.py [--facts 300] [--samples 5] [--models toy-mamba@0 ...] [--jobs 2]
"""
import argparse, os, sys, time
from pathlib import Path


def one(job):
    name, facts, samples, out = job
    import torch; torch.set_num_threads(1)
    from mamba_mediation.load import load_model
    from mamba_mediation.storage import run_fact_averages
    t0 = time.time()
    _, _, meta = run_fact_averages(load_model(name), Path(out) / f'aie_{name}.npz', samples=samples, max_facts=facts)
    return name, meta['n_facts'], meta['n_known'], time.time() - t0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--facts', type=int, default=300, help='an even spread of this many known facts per model')
    p.add_argument('--samples', type=int, default=5)
    p.add_argument('--models', nargs='+', default=None, help='default: every toy-mamba@S and toy-gpt2@S in the cache')
    p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--out', default='nbs/data/seed_aie')
    a = p.parse_args(argv)
    from mamba_mediation.load import seeds_dir
    names = a.models or sorted(d.name for d in seeds_dir().iterdir()
                               if d.name.split('@')[0] in ('toy-mamba', 'toy-gpt2') and (d / 'training.json').exists())
    Path(a.out).mkdir(parents=True, exist_ok=True)
    jobs = [(n, a.facts, a.samples, a.out) for n in names]
    import multiprocessing as mp
    with mp.get_context('spawn').Pool(min(a.jobs, len(jobs))) as pool:
        for name, n, known, s in pool.imap_unordered(one, jobs):
            print(f'{name}: {n} of {known} known facts, {s / 60:.1f} min', flush=True)


if __name__ == '__main__':
    main()
