#!/usr/bin/env python
"""The headline AIE curves with bands over facts × corruption draws (04e_noise): for the toy Mamba and its GPT-2 twin,
the residual-stream trace of an even spread of the facts each model gets right, under three corruptions — Gaussian
noise at the model's calibrated level (5 independent draws per fact, 2 noise rows each), subject swap (5 donor subjects
per fact) and ROME's 3σ (one draw, the same for every fact, 10 rows) — saved as per-fact, per-draw effects by token
group in `nbs/data/headline_draws.npz` (with a `.json` of what was run).

With `--seed S` the same for the twins of seed S of the recipe in the user's model cache (`toy-mamba@S`, `toy-gpt2@S`,
which `bench/train_seeds.py` trains), into `nbs/data/seed_headline/headline_draws@S.npz`: the seed spreads of 04e. The
shipped pair is seed 0.

    python bench/headline_draws.py [--facts 300] [--draws 5] [--seed S] [--out FILE]
"""
import argparse, json, sys, time, platform
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import numpy as np, torch
from mamba_mediation.load import load_model
from mamba_mediation.corrupt import noise_level
from mamba_mediation.localize import world_facts, known_records, spread
from mamba_mediation.draws import draw_aie

MODELS = {'Mamba': 'toy-mamba', 'GPT-2': 'toy-gpt2'}
SAMPLES = {'calibrated': 2, 'swap': 1, 'rome': 10}

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--facts', type=int, default=300)
    ap.add_argument('--draws', type=int, default=5)
    ap.add_argument('--seed', type=int, default=None, help='the twins of this seed of the recipe (default: the shipped pair)')
    ap.add_argument('--out', default=None, help='default: nbs/data/headline_draws.npz, or with --seed '
                                                'nbs/data/seed_headline/headline_draws@SEED.npz')
    a = ap.parse_args()
    data = ROOT / 'nbs' / 'data'
    out = Path(a.out) if a.out else data / ('headline_draws.npz' if a.seed is None else f'seed_headline/headline_draws@{a.seed}.npz')
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    world = world_facts()
    arrays, meta = {}, dict(command='python bench/headline_draws.py' + ''.join(f' {x}' for x in sys.argv[1:]), date=time.strftime('%Y-%m-%d'),
                            torch=torch.__version__, threads=1, machine=platform.machine(), draws=a.draws, samples=SAMPLES, seed=a.seed, runs={})
    for name, model in MODELS.items():
        mt = load_model(model if a.seed is None else f'{model}@{a.seed}', device='cpu')
        recs = spread(known_records(mt, world), a.facts)
        for c in ('calibrated', 'swap', 'rome'):
            t0 = time.time()
            r = draw_aie(mt, recs, None, c, a.draws, SAMPLES[c], seed=1, pool=world)
            key = f"{name}/{c}"
            arrays[f"{key}/effects"] = r.effects.astype(np.float32); arrays[f"{key}/low"] = r.low; arrays[f"{key}/high"] = r.high
            meta['runs'][key] = dict(model=mt.name, facts=len(r.prompts), skipped=r.n_skipped, draws=int(r.effects.shape[1]),
                                     samples=r.samples, seconds=round(time.time() - t0, 1), prompts=r.prompts)
            print(key, meta['runs'][key]['facts'], 'facts', meta['runs'][key]['seconds'], 's', flush=True)
        meta['runs'][f"{name}/calibrated"]['calibration'] = noise_level(mt).summary()
    np.savez_compressed(out, **arrays)
    out.with_suffix('.json').write_text(json.dumps(meta, indent=1) + '\n')
    print('->', out)
