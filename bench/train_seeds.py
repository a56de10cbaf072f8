#!/usr/bin/env python
"""Train the toy twins with several seeds on `train.TOY_RECIPE` (and, with `--ladder`, the 2- and 4-layer rungs),
into the user's model cache (`load.seeds_dir()`, where `load_model('toy-mamba@1')` finds them), and write what the
training chapter shows of every run -- its recipe, curve, accuracies, task table, noise level and in-context recall
with its controls, but no weights -- to `nbs/data/seed_runs.json`.

    python bench/train_seeds.py --seeds 0,1,2 --jobs 2               # the twins, 3 seeds (about 25 min on 2 idle cores)
    python bench/train_seeds.py --seeds 0 --ladder --jobs 2          # the 2- and 4-layer rungs, seed 0
    python bench/train_seeds.py --summarise                          # only re-read the cache into the json

Every run is `train.train_toy_models(seeds=...)` / `train.train_ladder(seeds=...)`: one thread per run, the task
mixture drawn afresh every epoch, bit for bit reproducible per seed on one machine. Each summarised run replaces the
record of the same name in `--out` (others are kept), and every call appends a line to its `calls` (command, runs,
load average, training and total seconds).
"""
import argparse, json, os, platform, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from sweep_recipe import RECALL_SET, recall_of   # 05a's in-context set with its controls

TWINS = ('toy-mamba', 'toy-gpt2')
RUNGS = ('toy-mamba-2l', 'toy-mamba-4l', 'toy-gpt2-2l', 'toy-gpt2-4l')
COMMAND = None   # this run's command line, recorded with each run it summarises
CURVE_KEYS = ('epoch', 'step', 'loss', 'running_acc', 'heldout_loss', 'heldout_acc', 'time')


def summary(name, folder):
    "What the chapter shows of one trained run (no weights), read from its folder."
    from mamba_mediation.load import load_model
    r = json.loads((Path(folder) / 'training.json').read_text())
    mt = load_model(str(folder))
    keep = ('kind', 'seed', 'epochs', 'steps', 'wall_time_s', 'recipe', 'final_loss', 'stopped_by', 'train_acc',
            'heldout_acc', 'n_params', 'n_train_prompts', 'threads', 'torch_version', 'scan', 'tasks', 'noise_calibration',
            'config')
    out = {k: r[k] for k in keep if k in r}
    from mamba_mediation.world import prompts
    out.update(name=name, command=COMMAND, n_layer=mt.arch.n_layer, n_facts_prompts=len(prompts('train')),
               n_heldout_prompts=len(prompts('heldout')), curve=[{k: c[k] for k in CURVE_KEYS if k in c} for c in r['curve']],
               recall=dict(prompts=RECALL_SET, records=recall_of(mt.model, mt.tokenizer)))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--seeds', default='0,1,2')
    p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--ladder', action='store_true', help="train the 2- and 4-layer rungs instead of the 8-layer twins")
    p.add_argument('--summarise', action='store_true', help='train nothing: summarise the runs the cache holds')
    p.add_argument('--out', default='nbs/data/seed_runs.json')
    a = p.parse_args(argv)
    import torch; torch.set_num_threads(1)
    from mamba_mediation.load import seeds_dir
    from mamba_mediation.train import train_toy_models, train_ladder, _seed_list
    seeds = _seed_list(a.seeds)
    global COMMAND
    COMMAND = 'python bench/train_seeds.py' + ''.join(f' {x}' for x in (argv if argv is not None else sys.argv[1:]))
    t0 = time.time()
    if not a.summarise:
        if a.ladder: train_ladder(RUNGS, seeds=seeds, jobs=a.jobs, threads=1, progress=False)
        else: train_toy_models(seeds=seeds, jobs=a.jobs, threads=1, progress=False)
    train_s = time.time() - t0
    out = Path(a.out)
    data = json.loads(out.read_text()) if out.exists() else dict(runs={})
    names = [f'{n}@{s}' for n in (RUNGS if a.ladder else TWINS) for s in seeds]
    if a.summarise: names = sorted(d.name for d in seeds_dir().iterdir() if (d / 'training.json').exists())
    for n in names:
        data['runs'][n] = summary(n, seeds_dir() / n)
        print(n, f"loss {data['runs'][n]['final_loss']:.3f}", f"facts {data['runs'][n]['train_acc']:.3f}",
              f"{data['runs'][n]['wall_time_s'] / 60:.1f} min", flush=True)
    data.setdefault('calls', []).append(dict(command=COMMAND, runs=names, trained=not a.summarise, date=time.strftime('%Y-%m-%d'),
                                             machine=platform.machine(), cores=os.cpu_count(), load_average=os.getloadavg(),
                                             train_s=None if a.summarise else train_s, wall_s=time.time() - t0))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=0, default=str) + '\n')


if __name__ == '__main__':
    main()
