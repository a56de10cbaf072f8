#!/usr/bin/env python
"""The recipe sweep behind `train.TOY_RECIPE`: train the 8-layer toy Mamba and GPT-2 on the task mixture with a
small grid of learning rates and schedules (the first toy models' recipe, 3e-3 constant after 50 warm-up steps,
among them; and one recipe at 4 layers), and record every run's whole loss curve (training loss, running
accuracy, held-out loss and accuracy per epoch), its final single-fact accuracies and its task table.

Every run is `train.train_toy_model` with the mixture drawn afresh every epoch (exactly what `train_toy_models` does),
a fixed epoch budget (no early stop, so the runs compare at equal cost) and seed 0. The runs go to worker processes
(one thread each), `--jobs` at a time; each finished run is appended to `--out` as one JSON line, so a sweep stopped
by its time limit keeps every run it finished. `--minutes` stops a run after the epoch that passes the limit (the
record says so).

    python bench/sweep_recipe.py --device cuda --jobs 12 --minutes 8 --out bench/recipe_sweep.jsonl

Batches are length-sorted (`--batching sorted`, about half the padded tokens of the first recipe's 'grouped');
`--save DIR` keeps every run's model. Each run is also scored on 05a's in-context set with its controls (`recall`);
`--recall DIR ...` scores saved runs only, into `--recall-out`.

`--tiny` runs a 1-layer, d_model 16 version on a few facts for one epoch, to check the script on a CPU.
"""
import argparse, itertools, json, multiprocessing as mp, os, platform, sys, time
from pathlib import Path

GRID = {   # (kind, layers) -> (epochs, [(lr, schedule, warm-up steps), ...]); the GPT-2's MLP is d_model wide (n_inner 128),
           # which puts every twin pair within 9 % of each other's parameter count
    ('gpt2', 8): (40, [(lr, s, w) for lr in (5e-4, 1e-3, 2e-3, 3e-3) for s, w in (('constant', 50), ('cosine', 200))]),
    ('mamba', 8): (24, [(lr, s, w) for lr in (1e-3, 3e-3) for s, w in (('constant', 50), ('cosine', 200))]),
    ('gpt2', 4): (40, [(1e-3, 'cosine', 200)]),
    ('mamba', 4): (24, [(3e-3, 'cosine', 200)]),
}


RECALL_SET = dict(distances=(0, 4, 16, 64), n_prompts=50, k=2, seed=0)   # the in-context set of 05a, with its controls


def recall_of(model, tok):
    "Associative recall on `RECALL_SET` with its controls (key swap, absent key, layout baseline): one record per distance."
    from mamba_mediation.tasks import associative_recall, in_context_prompts
    return associative_recall(model, tok, in_context_prompts(**RECALL_SET)).to_dict('records')


def one(job):
    kind, n_layer, lr, schedule, warmup, epochs, device, minutes, tiny, out, batching, save = job
    import torch
    torch.set_num_threads(1)
    from functools import partial
    from mamba_mediation.train import train_toy_model, _mixture_draw
    from mamba_mediation.tasks import task_mixture, TRAIN_DISTANCES
    from mamba_mediation.world import WORLD
    kw = dict(d_model=16, n_layer=1, facts=WORLD.facts[::40], heldout_sample=32) if tiny else dict(n_layer=n_layer)
    if kind == 'gpt2': kw['n_inner'] = kw.get('d_model', 128)
    mix = dict(n_facts=4, n_in_context=4) if tiny else {}
    t0 = time.time()
    try:
        name = f'{kind}-{n_layer}l-lr{lr:g}-{schedule}'
        model, tok, met = train_toy_model(kind, Path(save) / name if save else None, seed=0, batching=batching, lr=lr, batch_size=64 if kind == 'mamba' else 128,
                                    max_epochs=epochs, target_acc=None, warmup=warmup, schedule=schedule, threads=1,
                                    progress=False, device=device, tasks=partial(_mixture_draw, seed=0, mix=mix, world=None),
                                    eval_tasks=task_mixture(seed=0, eval_distances=TRAIN_DISTANCES, **mix)[1], time_limit_s=minutes * 60, **kw)
        met = {k: v for k, v in met.items() if k != 'config'}
        met['recall'] = recall_of(model, tok)
    except Exception as e:   # one failed run must not lose the others
        met = dict(kind=kind, error=f'{type(e).__name__}: {e}')
    met.update(sweep=dict(kind=kind, n_layer=n_layer, lr=lr, schedule=schedule, warmup=warmup, epochs=epochs),
               sweep_wall_s=time.time() - t0)
    with open(out, 'a') as f: f.write(json.dumps(met, default=str) + '\n')
    return f'{kind}-{n_layer}l', lr, schedule, met.get('final_loss'), met.get('error')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--device', default='cpu')
    p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--minutes', type=float, default=60., help='stop a run after the epoch that passes this wall time')
    p.add_argument('--kinds', nargs='+', default=['gpt2', 'mamba'])
    p.add_argument('--only', nargs='+', default=None, metavar='KIND-NL:LR:SCHEDULE',
                   help='run only these points of the grid, e.g. gpt2-8l:0.001:cosine')
    p.add_argument('--tiny', action='store_true')
    p.add_argument('--epochs', type=int, default=None, help="every run's epoch budget (default: the grid's)")
    p.add_argument('--recall', nargs='+', default=None, metavar='DIR',
                   help='only score saved runs (folders of --save) on the in-context set with its controls, into --recall-out')
    p.add_argument('--recall-out', default='bench/recipe_sweep_recall.json')
    p.add_argument('--batching', default='sorted', help="train_toy_model's batching ('sorted' or 'grouped', the first recipe's)")
    p.add_argument('--save', default=None, metavar='DIR', help='keep each run\'s model in DIR/KIND-NLl-lrLR-SCHEDULE/')
    p.add_argument('--out', default='bench/recipe_sweep.jsonl')
    a = p.parse_args(argv)
    if a.recall:
        import torch; torch.set_num_threads(1)
        from mamba_mediation.load import load_model
        out = Path(a.recall_out); data = json.loads(out.read_text()) if out.exists() else {}
        for d in a.recall:
            mt = load_model(d)
            data[Path(d).name] = dict(prompts=RECALL_SET, recall=recall_of(mt.model, mt.tokenizer))
            print(Path(d).name, [(r['n'], round(r['right_key'], 2), r['verdict']) for r in data[Path(d).name]['recall']], flush=True)
        out.write_text(json.dumps(data, indent=0) + '\n'); return
    jobs = []
    for (kind, n_layer), (epochs, grid) in GRID.items():
        if kind in a.kinds:
            jobs += [(kind, n_layer, lr, s, w, 1 if a.tiny else a.epochs or epochs, a.device, a.minutes, a.tiny, a.out, a.batching, a.save) for lr, s, w in grid]
    if a.only:
        keep = {tuple(x.split(':')) for x in a.only}
        jobs = [j for j in jobs if (f'{j[0]}-{j[1]}l', f'{j[2]:g}', j[3]) in keep]
        if not jobs: sys.exit(f'--only matches no point of the grid: {a.only}')
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    with open(a.out, 'a') as f:
        f.write(json.dumps(dict(header=True, date=time.strftime('%Y-%m-%d'), command=' '.join(sys.argv),
                                machine=platform.machine(), cores=os.cpu_count(), device=a.device, batching=a.batching, runs=len(jobs))) + '\n')
    with mp.get_context('spawn').Pool(min(a.jobs, len(jobs))) as pool:
        for kind, lr, s, loss, err in pool.imap_unordered(one, jobs):
            print(f'{kind:8s} lr={lr:g} {s:8s} final loss {loss}' + (f' ERROR {err}' if err else ''), flush=True)


if __name__ == '__main__':
    main()
