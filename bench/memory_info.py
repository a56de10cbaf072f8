"""Memory as information, over long spans, for the toy Mamba and its GPT-2 twin (shown in nbs/04c_memory.ipynb).

Per distance n (filler tokens between the subject and the query) and model: accuracy of every prompt, the subject-swap
logit gap of every prompt, and cross-validated probes of the answer from each layer's residual stream (and the Mamba's
state h) at the last token against the per-relation majority. Writes nbs/data/memory_info.json.
Run from the repository root: `python bench/memory_info.py` (about ten minutes on one CPU core)."""
import json, sys, time, warnings
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
from mamba_mediation.memory import last_token_reads, swapped_prompts, swap_gaps, _answer_token, memory_cost, memory_crossover

N_PROMPTS = 200  # prompts per distance for accuracy and the swap gap
PROBE_RELATIONS = ('continent', 'animal_class')  # few answers each: a probe can learn them (every fact of both, per distance)
DISTANCES = EVAL_DISTANCES


def gap_prompts(n):
    "The prompts for accuracy and the swap gap at distance n (seeded by n: any distance can be recomputed alone)."
    return long_range_prompts((n,), n_facts=N_PROMPTS, seed=n)


def probe_prompts(n):
    return long_range_prompts((n,), facts=[f for f in WORLD.facts if f.relation in PROBE_RELATIONS], seed=n)


def main(out=root / 'nbs' / 'data' / 'memory_info.json'):
    warnings.filterwarnings('ignore')
    torch.set_num_threads(1); threadpool_limits(1)
    models = {'Mamba': load_model(device='cpu'), 'GPT-2': load_model('toy-gpt2', device='cpu')}
    res = dict(n_prompts=N_PROMPTS, probe_relations=list(PROBE_RELATIONS), distances=list(DISTANCES), rows=[],
               crossover=int(memory_crossover(models['Mamba'], models['GPT-2'])),
               state_bytes=int(memory_cost(models['Mamba'], 1)['bytes']))
    t0 = time.time()
    for n in DISTANCES:
        ps, pp = gap_prompts(n), probe_prompts(n)
        sw = swapped_prompts(ps, seed=n)
        labels = np.array([p['object'] for p in pp])
        base = majority_predictions(labels, [p['relation'] for p in pp]) == labels
        for name, mt in models.items():
            reads = last_token_reads(mt, ps, states=False)
            o = np.array([_answer_token(mt, p['object'], p['prompt']) for p in ps])
            correct = (reads['logits'].argmax(-1) == o).astype(int)
            gaps = swap_gaps(mt, ps, sw, reads)
            tokens = [len(mt.tokenizer(p['prompt'])['input_ids']) for p in ps]
            pr = last_token_reads(mt, pp, states=True)
            probes = {}
            for what in ('resid', 'state'):
                if pr[what] is None: continue
                hit = probe_predictions(pr[what], labels) == labels[None]  # [layers, prompts]
                m, lo, hi = bootstrap_mean(hit.astype(float) - base[None].astype(float))
                probes[what] = dict(accuracy=hit.mean(1).tolist(), gain=m.tolist(), gain_low=lo.tolist(), gain_high=hi.tolist())
            res['rows'].append(dict(model=name, n=n, tokens=float(np.mean(tokens)), max_tokens=int(max(tokens)),
                                    kv_bytes=int(memory_cost(mt, int(np.mean(tokens)))['bytes']),
                                    correct=correct.tolist(), gap=[round(float(g), 5) for g in gaps],
                                    probe_prompts=len(pp), majority=float(base.mean()), probes=probes))
            print(f"n={n} {name}: acc {correct.mean():.3f} gap {gaps.mean():.2f} "
                  + ' '.join(f"{k} max {max(v['accuracy']):.2f}" for k, v in probes.items())
                  + f" (base {base.mean():.2f}) {time.time() - t0:.0f}s", flush=True)
    Path(out).write_text(json.dumps(res))


if __name__ == '__main__':
    main()
