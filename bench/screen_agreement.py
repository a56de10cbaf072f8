"""Agreement of the gradient screen (`attribution_scores`) with exact causal traces (not a test).

For each fact of the shipped world (its first training template, the clean prediction scored), each model and each site
kind, the exact trace (`calculate_hidden_flow`, batched engine, one layer per cell) and the screen are computed on the
same corrupted rows (the same noise draws); per fact we keep the Spearman correlation of the two heatmaps over
(token, layer) cells, whether the top cells agree, the recall of the exact top-K cells among the screen's top K, the
share of the exact top-K indirect effect that the screen's top K cells carry (exactly traced), the error on the subject's
tokens and elsewhere, how far the exact second-largest cell falls below the largest (`gap2`, a share of the largest), and
the CPU time of each.

    python bench/screen_agreement.py [--facts 200] [--kind-facts 60] [--samples 3] [--json nbs/data/screen_agreement.json]
    python bench/screen_agreement.py --kinds h,B,C --update   # only these kinds; their rows replace those in the json

The SSM state h is traced exactly by `trace_ssm_state(kind='h')` (the fast engine), the other kinds by
`calculate_hidden_flow`.

Run with OMP_NUM_THREADS=1 (the script also sets one torch thread) so that the CPU times mean compute.
"""
import argparse, datetime, json, os, time, warnings
from pathlib import Path
import numpy as np
import torch
from scipy.stats import spearmanr

from mamba_mediation.load import load_model
from mamba_mediation.trace import calculate_hidden_flow
from mamba_mediation.screen import attribution_scores
from mamba_mediation.world import prompts
from mamba_mediation.ssm_state import trace_ssm_state

KINDS = {'toy-mamba': (None, 'mixer', 'delta', 'B', 'C', 'h'), 'toy-gpt2': (None, 'mlp', 'attn')}


def compare(ex, sc, K):
    "Per-fact agreement numbers of an exact trace `ex` and a screen `sc` (both `TraceResult`, same cells)."
    a, b = ex.indirect_effect.ravel(), sc.indirect_effect.ravel()
    top_e, top_s = np.argsort(-a, kind='stable')[:K], np.argsort(-b, kind='stable')[:K]
    span = ex.high_score - ex.low_score
    T, n = ex.scores.shape
    subj = np.zeros((T, n), bool); subj[slice(*ex.subject_range)] = True
    err = np.abs(ex.scores - sc.scores) / max(abs(span), 1e-12)
    best = a[top_e].sum()
    return dict(rho=float(spearmanr(a, b)[0]) if a.std() > 0 and b.std() > 0 else float('nan'),
                top1=bool(top_s[0] == top_e[0]), recall=len(set(top_e) & set(top_s)) / K,
                share=float(a[top_s].sum() / best) if best > 0 else float('nan'),
                err_subject=float(err[subj].mean()), err_other=float(err[~subj].mean()),
                low=ex.low_score, high=ex.high_score,
                gap2=float((a[top_e[0]] - a[top_e[1]]) / a[top_e[0]]) if a[top_e[0]] > 0 else float('nan'))  # top two exact cells


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--facts', type=int, default=200, help="facts for the residual stream")
    ap.add_argument('--kind-facts', type=int, default=60, help="facts for the other site kinds")
    ap.add_argument('--samples', type=int, default=3)
    ap.add_argument('--k', type=int, default=5, help="K of the top-K recall and share")
    ap.add_argument('--models', default='toy-mamba,toy-gpt2')
    ap.add_argument('--json', default='nbs/data/screen_agreement.json')
    ap.add_argument('--kinds', default=None, help="only these kinds (comma-separated; 'resid' for the residual stream)")
    ap.add_argument('--update', action='store_true', help="keep the json's other rows; replace those of the kinds run")
    args = ap.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter('ignore')
    seen, facts = set(), []
    for p in prompts():
        if p['subject'] not in seen: seen.add(p['subject']); facts.append(p)
    rows = []
    for name in args.models.split(','):
        mt = load_model(name)
        for kind in KINDS[name]:
            if args.kinds and (kind or 'resid') not in args.kinds.split(','): continue
            nf = args.facts if kind is None else args.kind_facts
            t_ex = t_sc = 0.
            for f in facts[:nf]:
                c = time.process_time()
                ex = (trace_ssm_state(mt, f['prompt'], f['subject'], 'h', samples=args.samples, noise=3.0) if kind == 'h' else
                      calculate_hidden_flow(mt, f['prompt'], f['subject'], kind=kind, samples=args.samples, window=1, noise=3.0))
                c2 = time.process_time()
                sc = attribution_scores(mt, f['prompt'], f['subject'], kind=kind, samples=args.samples, window=1, noise=3.0)  # ROME's 3σ, as saved
                c3 = time.process_time()
                t_ex += c2 - c; t_sc += c3 - c2
                rows.append(dict(model=name, kind=kind or 'resid', subject=f['subject'], relation=f['relation'],
                                 correct=ex.correct_prediction, tokens=ex.scores.shape[0], exact_cpu_s=c2 - c,
                                 screen_cpu_s=c3 - c2, **compare(ex, sc, args.k)))
            print(f"{name:<10} {kind or 'resid':<6} {nf} facts: exact {t_ex:6.1f} s CPU, screen {t_sc:5.1f} s CPU "
                  f"({t_ex / t_sc:4.1f}x); median rho {np.nanmedian([r['rho'] for r in rows[-nf:]]):.2f}", flush=True)
    command = ('OMP_NUM_THREADS=1 python bench/screen_agreement.py ' +
               f'--facts {args.facts} --kind-facts {args.kind_facts} --samples {args.samples} --k {args.k}' +
               (f' --kinds {args.kinds}' if args.kinds else '') + (' --update' if args.update else ''))
    env = dict(date=datetime.date.today().isoformat(), torch=torch.__version__, threads=1, samples=args.samples,
               k=args.k, device='cpu', command=command)
    if args.update and Path(args.json).exists():
        old = json.loads(Path(args.json).read_text())
        done = {(r['model'], r['kind']) for r in rows}
        rows = [r for r in old['rows'] if (r['model'], r['kind']) not in done] + rows
        order = [(m, k or 'resid') for m in KINDS for k in KINDS[m]]
        rows.sort(key=lambda r: order.index((r['model'], r['kind'])))  # stable: facts keep their order
        env = dict(old['env'], updates=[u for u in old['env'].get('updates', []) if set(u['kinds']) - {k for _, k in done}] +
                                 [dict(env, kinds=sorted({k for _, k in done}))])  # the latest update of each kind
    Path(args.json).write_text(json.dumps(dict(env=env, rows=rows), indent=0) + '\n')


if __name__ == '__main__':
    main()
