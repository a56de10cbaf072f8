"""Layer sweep of rank-one fact edits on the toy models, beside each fact's causal trace (chapter 08_edit).

Every case (a fact the model knows, a counterfactual object) is edited at every layer of every edit site; each edit is
scored (efficacy, paraphrase, neighbourhood) and undone. Beside it: the causal-tracing effect (p of the true answer
restored minus corrupted) at the subject's last token, per layer, of the residual stream and of the matching site kind.
Single thread; resumable: cases already in the output file are skipped.

    python bench/edit_sweep.py                      # the saved run (see the file's "config")
    python bench/edit_sweep.py --facts 10 --mamba-facts 4 --out /tmp/s.json   # a quick look
"""
import argparse, json, os, time
from pathlib import Path

os.environ.setdefault('OMP_NUM_THREADS', '1')
import torch

from mamba_mediation.load import load_model
from mamba_mediation.corrupt import find_subject_range
from mamba_mediation.trace import calculate_hidden_flow
from mamba_mediation.edit import EDIT_SITES, counterfact_cases, evaluate_edit, key_covariance

SITES = {'toy-gpt2': ['mlp'], 'toy-mamba': ['out_proj', 'in_proj_x', 'in_proj_z', 'x_proj']}
TRACE_KIND = {'toy-gpt2': 'mlp', 'toy-mamba': 'mixer'}


def trace_effects(mt, case, kind, samples):
    "Indirect effect (restored p − corrupted p of the true answer) at the subject's last token, per layer."
    out = {}
    for name, k in (('resid', None), ('site', kind)):
        r = calculate_hidden_flow(mt, case['prompt'], case['subject'], kind=k, window=1, samples=samples)
        t = r.subject_range[1] - 1
        out[name] = [float(x) for x in (r.scores[t] - r.low_score)]
        out['high'], out['low'] = float(r.high_score), float(r.low_score)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--facts', type=int, default=100, help='cases per model (GPT-2)')
    ap.add_argument('--mamba-facts', type=int, default=20, help='cases for the Mamba (4 sites: 4x the edits)')
    ap.add_argument('--steps', type=int, default=20, help='Adam steps of the value optimisation')
    ap.add_argument('--samples', type=int, default=5, help='noise samples of each causal trace')
    ap.add_argument('--out', default='nbs/data/edit_sweep.json')
    a = ap.parse_args()
    torch.set_num_threads(1); torch.manual_seed(0)
    out = Path(a.out)
    data = json.loads(out.read_text()) if out.exists() else {}
    config = dict(facts=a.facts, mamba_facts=a.mamba_facts, steps=a.steps, samples=a.samples, window=1,
                  n_prefixes=2, sites=SITES, trace_kind=TRACE_KIND, threads=1,
                  command=f'python bench/edit_sweep.py --facts {a.facts} --mamba-facts {a.mamba_facts} '
                          f'--steps {a.steps} --samples {a.samples}')
    if data.get('config', {}).get('steps') not in (None, a.steps): data = {}  # other settings: start again
    data['config'] = config
    data.setdefault('records', []); data.setdefault('traces', []); data.setdefault('seconds', {})
    done = {(t['model'], t['case']) for t in data['traces']}
    for name in SITES:
        t0 = time.process_time()
        mt = load_model(name, device='cpu')
        n = a.facts if name == 'toy-gpt2' else a.mamba_facts
        cases = counterfact_cases(mt, n=n, seed=0)
        for s in SITES[name]: key_covariance(mt, 0, s)  # every layer's C, once
        for i, c in enumerate(cases):
            if (name, i) in done: continue
            eff = trace_effects(mt, c, TRACE_KIND[name], a.samples)
            recs = []
            for s in SITES[name]:
                for layer in range(mt.arch.n_layer):
                    m = evaluate_edit(mt, c, layer, s, steps=a.steps)
                    recs.append(dict(model=name, case=i, site=s, layer=layer, **m))
            data['records'] += recs
            data['traces'].append(dict(model=name, case=i, subject=c['subject'], relation=c['relation'], old=c['old'],
                                       new=c['new'], **eff))
            data['seconds'][name] = data['seconds'].get(name, 0) + time.process_time() - t0
            t0 = time.process_time()
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix('.tmp'); tmp.write_text(json.dumps(data)); tmp.replace(out)
            print(name, i, f"{data['seconds'][name]:.0f}s", flush=True)


if __name__ == '__main__':
    main()
