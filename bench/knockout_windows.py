"""Knockout windows over the fact world, for the knockout chapter (nbs/03d_knockout.ipynb).

For the first N facts of an even spread over the fact world (one template per fact) that both toy models predict
correctly: the relative change of p(answer) when the subject, the relation's words or the last token cannot reach the
last token, in windows of w = 1 … L layers centred on every layer; the toy Mamba through its state ('ssm'), its conv
window ('conv') and both, the toy GPT-2 through its attention edges ('attn'). Writes the mean grid and its bootstrap
95% interval over the facts per model, path and source set, plus the first fact's own grids (which the chapter
recomputes as a check).

    python bench/knockout_windows.py --facts 40 --out nbs/data/knockout_windows.json   # from the repository root

With `--seed S` the same for the twins of seed S of the recipe in the user's model cache (`toy-mamba@S`, `toy-gpt2@S`,
which `bench/train_seeds.py` trains), into nbs/data/seed_knockout/knockout_windows@S.json (the shipped pair is seed 0).
"""
import argparse, datetime, json, sys, time, warnings
from pathlib import Path

import numpy as np
import torch

from mamba_mediation.load import load_model
from mamba_mediation.world import world_as_known
from mamba_mediation.knockout import KNOCKOUT_PATHS, knockout_facts, knockout_windows, mean_interval

SOURCES = ('subject', 'relation', 'last')


def spread_facts():
    seen, out = set(), []
    for r in world_as_known('train'):
        if (r['subject'], r['relation_id']) not in seen:
            seen.add((r['subject'], r['relation_id'])); out.append(r)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--facts', type=int, default=40, help='facts (that both models get right) to average over')
    ap.add_argument('--out', default=None, help='default: nbs/data/knockout_windows.json, or with --seed '
                                                'nbs/data/seed_knockout/knockout_windows@SEED.json')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--seed', type=int, default=None, help='the twins of this seed of the recipe (default: the shipped pair)')
    a = ap.parse_args(argv)
    sfx = '' if a.seed is None else f'@{a.seed}'
    a.out = a.out or ('nbs/data/knockout_windows.json' if a.seed is None else f'nbs/data/seed_knockout/knockout_windows{sfx}.json')
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    if a.facts < 1: ap.error('--facts must be at least 1')
    torch.set_num_threads(a.threads)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        models = {'toy-mamba': load_model('toy-mamba' + sfx, device='cpu'), 'toy-gpt2': load_model('toy-gpt2' + sfx, device='cpu')}
    def pred(mt, prompt):
        with torch.no_grad():
            return int(mt.model(torch.tensor([mt.tokenizer(prompt)['input_ids']])).logits[0, -1].argmax())
    allf = spread_facts()
    cand = allf[::max(1, len(allf) // (3 * a.facts))]
    facts = [r for r in cand if all(mt.tokenizer.decode([pred(mt, r['prompt'])]).strip() == r['attribute'] for mt in models.values())][:a.facts]
    t0 = time.perf_counter()
    out = dict(command='python bench/knockout_windows.py ' + ' '.join(argv if argv is not None else sys.argv[1:]),
               date=datetime.date.today().isoformat(), torch=torch.__version__, threads=a.threads, seed=a.seed,
               windows=list(range(1, 9)), sources=list(SOURCES), models=[])
    f0 = facts[0]
    first = dict(prompt=f0['prompt'], subject=f0['subject'], answer_ids={n: pred(mt, f0['prompt']) for n, mt in models.items()})
    for name, mt in models.items():
        n = mt.arch.n_layer
        out['windows'] = list(range(1, n + 1))
        paths = ('attn',) if mt.arch.family == 'gpt2' else KNOCKOUT_PATHS
        entry = dict(model=name, family=mt.arch.family, n_layer=n, paths={})
        first[name] = {}
        for p in paths:
            t1 = time.perf_counter()
            k = knockout_facts(mt, facts, SOURCES, p)
            entry['facts'], entry['skipped'] = len(k['facts']), k['skipped']
            entry['paths'][p] = {s: dict(zip(('mean', 'lower', 'upper'), (np.round(x, 4).tolist() for x in mean_interval(v))))
                                 for s, v in k['curves'].items()}
            first[name][p] = {s: np.round(v[0], 6).tolist() for s, v in k['curves'].items()}
            print(f"{name} {p}: {len(k['facts'])} facts in {time.perf_counter() - t1:.0f} s", flush=True)
        out['models'].append(entry)
    out['first_fact'] = first
    out['seconds'] = round(time.perf_counter() - t0, 1)
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(f"wrote {a.out} ({out['seconds']} s)")


if __name__ == '__main__':
    main()
