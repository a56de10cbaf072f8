"""Layer sweep of rank-one fact edits on the toy models, beside each fact's causal trace (chapter 08_edit).

Every case (a fact the model knows, a counterfactual object) is edited at every layer of every edit site; each edit is
scored (efficacy, paraphrase, neighbourhood) and undone. Beside it: the causal-tracing effect (p of the true answer
restored minus corrupted) at the subject's last token, per layer, of the residual stream and of the matching site kind.
Single thread; resumable: cases already in the output file are skipped.

Beside each case also the donor swap (`edit.donor_swap`): the residual stream at the subject's last token replaced,
layer by layer, by that of a subject whose object is the new one.

    python bench/edit_sweep.py --model toy-gpt2 --sites mlp --facts 100 --out nbs/data/edit_sweep_gpt2.json
    python bench/edit_sweep.py --model toy-mamba --sites in_proj_x --facts 100 --stop 50 --out nbs/data/edit_sweep_mamba.json
    python bench/edit_sweep.py --model toy-mamba --sites in_proj_x --facts 100 --first 50 --out nbs/data/edit_sweep_mamba_50.json
    python bench/edit_sweep.py --model toy-mamba --sites out_proj,in_proj_z,x_proj --facts 100 --out nbs/data/edit_sweep_mamba_sites.json
    python bench/edit_sweep.py --model toy-gpt2 --facts 4 --out /tmp/s.json   # a quick look
"""
import argparse, json, os, time
from pathlib import Path

os.environ.setdefault('OMP_NUM_THREADS', '1')
import torch

from mamba_mediation.load import load_model
from mamba_mediation.corrupt import find_subject_range
from mamba_mediation.trace import calculate_hidden_flow
from mamba_mediation.edit import EDIT_SITES, counterfact_cases, donor_swap, evaluate_edit, key_covariance

SITES = {'toy-gpt2': ['mlp'], 'toy-mamba': ['out_proj', 'in_proj_x', 'in_proj_z', 'x_proj']}  # the defaults
TRACE_KIND = {'toy-gpt2': 'mlp', 'toy-mamba': 'mixer'}


def trace_effects(mt, case, kind, samples):
    "Indirect effect (restored p − corrupted p of the true answer) at the subject's last token, per layer."
    out = {}
    for name, k in (('resid', None), ('site', kind)):
        r = calculate_hidden_flow(mt, case["prompt"], case["subject"], kind=k, window=1, samples=samples, noise=3.0)  # ROME's 3σ
        t = r.subject_range[1] - 1
        out[name] = [float(x) for x in (r.scores[t] - r.low_score)]
        out['high'], out['low'] = float(r.high_score), float(r.low_score)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--model', default='toy-gpt2', choices=sorted(SITES))
    ap.add_argument('--sites', default=None, help='comma-separated edit sites (default: all of the model\'s)')
    ap.add_argument('--facts', type=int, default=100, help='cases')
    ap.add_argument('--first', type=int, default=0, help='skip the cases before this one (to split a run over processes)')
    ap.add_argument('--stop', type=int, default=None, help='stop before this case')
    ap.add_argument('--steps', type=int, default=20, help='Adam steps of the value optimisation')
    ap.add_argument('--samples', type=int, default=5, help='noise samples of each causal trace')
    ap.add_argument('--out', default='nbs/data/edit_sweep_gpt2.json')
    a = ap.parse_args()
    name = a.model
    sites = a.sites.split(',') if a.sites else SITES[name]
    bad = [s for s in sites if s not in EDIT_SITES['gpt2' if 'gpt2' in name else 'mamba']]
    if bad: ap.error(f'unknown edit sites {bad} for {name}')
    torch.set_num_threads(1); torch.manual_seed(0)
    out = Path(a.out)
    data = json.loads(out.read_text()) if out.exists() else {}
    config = dict(model=name, facts=a.facts, steps=a.steps, samples=a.samples, window=1, n_prefixes=2, sites=sites,
                  trace_kind=TRACE_KIND[name], threads=1,
                  command=f'python bench/edit_sweep.py --model {name} --sites {",".join(sites)} --facts {a.facts} '
                          + (f'--first {a.first} ' if a.first else '') + (f'--stop {a.stop} ' if a.stop is not None else '') +
                          f'--steps {a.steps} --samples {a.samples} --out {a.out}')
    old = data.get('config', {})
    if any(old.get(k) not in (None, config[k]) for k in ('model', 'steps', 'sites', 'samples')): data = {}  # other settings
    data['config'] = config
    data.setdefault('records', []); data.setdefault('traces', []); data.setdefault('seconds', 0.)
    done = {t['case'] for t in data['traces']}
    t0 = time.process_time()
    mt = load_model(name, device='cpu')
    cases = counterfact_cases(mt, n=a.facts, seed=0)
    for s in sites: key_covariance(mt, 0, s)  # every layer's C, once
    for i, c in enumerate(cases):
        if i in done or i < a.first or (a.stop is not None and i >= a.stop): continue
        eff = trace_effects(mt, c, TRACE_KIND[name], a.samples)
        recs = []
        for s in sites:
            for layer in range(mt.arch.n_layer):
                m = evaluate_edit(mt, c, layer, s, steps=a.steps)
                recs.append(dict(model=name, case=i, site=s, layer=layer, **m))
        data['records'] += recs
        data['traces'].append(dict(model=name, case=i, subject=c['subject'], relation=c['relation'], old=c['old'],
                                   new=c['new'], swap=donor_swap(mt, c), **eff))
        data['seconds'] += time.process_time() - t0
        t0 = time.process_time()
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix('.tmp'); tmp.write_text(json.dumps(data)); tmp.replace(out)
        print(name, i, f"{data['seconds']:.0f}s", flush=True)


if __name__ == '__main__':
    main()
