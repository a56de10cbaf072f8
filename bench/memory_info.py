"""Memory as information, over long spans, for the toy Mamba and its GPT-2 twin (shown in nbs/04c_memory.ipynb).

Per distance n (filler tokens between the subject and the query) and model: accuracy of every prompt, the subject-swap
logit gap of every prompt, and cross-validated probes of the answer from each layer's residual stream (and the Mamba's
state h) at the last token against the per-relation majority. Writes nbs/data/memory_info.json. A prompt longer than a
GPT-2's learned positions (each has as many as its own evaluation draw's longest prompt) is left out and counted in
`too_long`; a model's probes are skipped at a distance where a probe prompt is too long for it.
Run from the repository root: `python bench/memory_info.py` (a few minutes on one CPU core).

With `--seed S` the same for the twins of seed S of the recipe in the user's model cache (`toy-mamba@S`, `toy-gpt2@S`,
which `bench/train_seeds.py` trains), into nbs/data/seed_memory/memory_info@S.json: the seed spreads of 04c. The
shipped pair is seed 0.

    python bench/memory_info.py [--seed S] [--out FILE]"""
import argparse, json, sys, time, warnings
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root))
from mamba_mediation.load import load_model
from mamba_mediation.tasks import long_range_prompts, EVAL_DISTANCES
from mamba_mediation.world import WORLD
from mamba_mediation.roles import probe_predictions, majority_predictions, bootstrap_mean
from mamba_mediation.memory import last_token_reads, swapped_prompts, swap_gaps, _answer_token, memory_cost, memory_crossover, position_limit

N_PROMPTS = 200  # prompts per distance for accuracy and the swap gap
PROBE_RELATIONS = ('continent', 'animal_class')  # few answers each: a probe can learn them (every fact of both, per distance)
DISTANCES = EVAL_DISTANCES


def gap_prompts(n):
    "The prompts for accuracy and the swap gap at distance n (seeded by n: any distance can be recomputed alone)."
    return long_range_prompts((n,), n_facts=N_PROMPTS, seed=n)


def probe_prompts(n):
    return long_range_prompts((n,), facts=[f for f in WORLD.facts if f.relation in PROBE_RELATIONS], seed=n)


def fits(mt, ps):
    "Which prompts fit the model's positions (a GPT-2 has as many learned positions as its own evaluation draw's longest prompt)."
    lim = position_limit(mt)
    return np.array([lim is None or len(mt.tokenizer(p['prompt'])['input_ids']) <= lim for p in ps])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--seed', type=int, default=None, help='the twins of this seed of the recipe (default: the shipped pair)')
    ap.add_argument('--out', default=None, help='default: nbs/data/memory_info.json, or with --seed '
                                                'nbs/data/seed_memory/memory_info@SEED.json')
    a = ap.parse_args(argv)
    sfx = '' if a.seed is None else f'@{a.seed}'
    out = Path(a.out) if a.out else (root / 'nbs' / 'data' / ('memory_info.json' if a.seed is None else f'seed_memory/memory_info{sfx}.json'))
    out.parent.mkdir(parents=True, exist_ok=True)
    warnings.filterwarnings('ignore')
    torch.set_num_threads(1); threadpool_limits(1)
    models = {'Mamba': load_model('toy-mamba' + sfx, device='cpu'), 'GPT-2': load_model('toy-gpt2' + sfx, device='cpu')}
    res = dict(models={k: mt.name for k, mt in models.items()}, seed=a.seed, n_prompts=N_PROMPTS, probe_relations=list(PROBE_RELATIONS), distances=list(DISTANCES), rows=[],
               crossover=int(memory_crossover(models['Mamba'], models['GPT-2'])),
               state_bytes=int(memory_cost(models['Mamba'], 1)['bytes']))
    t0 = time.time()
    for n in DISTANCES:
        ps, pp = gap_prompts(n), probe_prompts(n)
        sw = swapped_prompts(ps, seed=n)
        labels = np.array([p['object'] for p in pp])
        base = majority_predictions(labels, [p['relation'] for p in pp]) == labels
        for name, mt in models.items():
            keep = fits(mt, ps)   # a prompt longer than a GPT-2's positions is left out (counted in too_long)
            ps_m, sw_m = [p for p, k in zip(ps, keep) if k], [q for q, k in zip(sw, keep) if k]
            reads = last_token_reads(mt, ps_m, states=False)
            o = np.array([_answer_token(mt, p['object'], p['prompt']) for p in ps_m])
            correct = (reads['logits'].argmax(-1) == o).astype(int)
            gaps = swap_gaps(mt, ps_m, sw_m, reads)
            tokens = [len(mt.tokenizer(p['prompt'])['input_ids']) for p in ps_m]
            pr = last_token_reads(mt, pp, states=True) if fits(mt, pp).all() else {}   # no probe on a part of the set
            probes = {}
            for what in ('resid', 'state'):
                if pr.get(what) is None: continue
                hit = probe_predictions(pr[what], labels) == labels[None]  # [layers, prompts]
                m, lo, hi = bootstrap_mean(hit.astype(float) - base[None].astype(float))
                probes[what] = dict(accuracy=hit.mean(1).tolist(), gain=m.tolist(), gain_low=lo.tolist(), gain_high=hi.tolist())
            res['rows'].append(dict(model=name, n=n, tokens=float(np.mean(tokens)), max_tokens=int(max(tokens)),
                                    kv_bytes=int(memory_cost(mt, int(np.mean(tokens)))['bytes']),
                                    correct=correct.tolist(), gap=[round(float(g), 5) for g in gaps], too_long=int((~keep).sum()),
                                    probe_prompts=len(pp), majority=float(base.mean()), probes=probes))
            print(f"n={n} {name}: acc {correct.mean():.3f} gap {gaps.mean():.2f} ({int((~keep).sum())} too long) "
                  + ' '.join(f"{k} max {max(v['accuracy']):.2f}" for k, v in probes.items())
                  + f" (base {base.mean():.2f}) {time.time() - t0:.0f}s", flush=True)
    out.write_text(json.dumps(res))
    print('->', out)


if __name__ == '__main__':
    main()
