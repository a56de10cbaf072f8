"""The SSM-level causal traces beside the edit sweep (chapter 08_edit): for the same cases as `bench/edit_sweep.py`,
the indirect effect (restored p − corrupted p of the true answer) at the subject's last token, per layer, of the
recurrent state h and of the selection (Δ, B, C restored together). Single thread; resumable.

    python bench/edit_traces.py --facts 100 --out nbs/data/edit_traces_mamba.json
"""
import argparse, json, os, time
from pathlib import Path

os.environ.setdefault('OMP_NUM_THREADS', '1')
import torch

from mamba_mediation.load import load_model
from mamba_mediation.edit import counterfact_cases
from mamba_mediation.localize import trace_kind


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--model', default='toy-mamba')
    ap.add_argument('--kinds', default='h,delta+B+C', help='comma-separated trace kinds')
    ap.add_argument('--facts', type=int, default=100)
    ap.add_argument('--samples', type=int, default=5)
    ap.add_argument('--out', default='nbs/data/edit_traces_mamba.json')
    a = ap.parse_args()
    torch.set_num_threads(1); torch.manual_seed(0)
    out = Path(a.out)
    kinds = a.kinds.split(',')
    data = json.loads(out.read_text()) if out.exists() else {}
    data['config'] = dict(model=a.model, kinds=kinds, facts=a.facts, samples=a.samples, threads=1,
                          command=f'python bench/edit_traces.py --model {a.model} --kinds {a.kinds} --facts {a.facts} '
                                  f'--samples {a.samples} --out {a.out}')
    data.setdefault('traces', []); data.setdefault('seconds', 0.)
    done = {t['case'] for t in data['traces']}
    mt = load_model(a.model, device='cpu')
    t0 = time.process_time()
    for i, c in enumerate(counterfact_cases(mt, n=a.facts, seed=0)):
        if i in done: continue
        row = dict(model=a.model, case=i, subject=c['subject'])
        for k in kinds:
            r = trace_kind(mt, c["prompt"], c["subject"], k, samples=a.samples, noise=3.0)  # ROME's 3σ, one draw for every case
            row[k] = [float(x) for x in (r.scores[r.subject_range[1] - 1] - r.low_score)]
        data['traces'].append(row)
        data['seconds'] += time.process_time() - t0; t0 = time.process_time()
        tmp = out.with_suffix('.tmp'); tmp.write_text(json.dumps(data)); tmp.replace(out)
        print(a.model, i, f"{data['seconds']:.0f}s", flush=True)


if __name__ == '__main__':
    main()
