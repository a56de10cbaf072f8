#!/usr/bin/env python
"""Benchmark of toy-model training steps: the Mamba's sequential scan (the reference, which trained the first toy models)
against the inline scan and the fused scan (module `scan`), optionally the chunked scan, and the GPT-2 for scale (not a test).

What it times: `--steps` training steps on real batches of epoch 0 of the first recipe (seed 0, the task mixture
drawn for epoch 0: 64 prompts for the Mamba, 128 for the GPT-2, grouped by length as that recipe groups them,
each cut to its longest prompt), chosen at evenly spaced quantiles of the batches' lengths, so that short and long
batches are both represented (the lengths run from 7 to ~100 tokens and the Mamba's cost per token grows with them). A step is forward, loss, backward, gradient clipping and the AdamW
update, exactly the loop body of `train_toy_model`. The Mamba scans train copies of the same initial model,
step by step in turn (A B C A B C ...), so all see the same batches under the same load; for each chunk length in
`--chunks` one more copy joins the rotation. Before that, the scan alone (forward and backward of one layer's scan at
batch 64, 90 positions, d_inner 256, d_state 16, random inputs) is timed `--scan-reps` times per scan, in turn. Both wall-clock and process CPU time are recorded; with one thread, on
a shared machine, the CPU time is the steadier measure, and the ratios and projections use it.

Projection: every batch of epoch 0 is given the CPU seconds per token (batch size x padded length) of the timed batch
nearest to it in length; the sum over the epoch, times the first recipe's epochs (`FIRST_RUNS`), is the
projected training time. The pair trains at
once (one process and one thread each), so its time is the longer of the two; a 3-seed sweep of both architectures
on 2 cores is three such pairs one after the other.

    python bench/bench_train.py --threads 1 --steps 4 --json bench/train_bench.json

The batches of an epoch can also be length-sorted (`train_toy_model(batching='sorted')`): the bench counts the padded
tokens of both batchings and projects the sorted epoch from the same timed steps (seconds per token of the nearest
timed length), printed and kept under 'batching'. The recipe the sweep chose (`train.TOY_RECIPE`: sorted batches, its
own epoch budgets, the fastest scan) is projected the same way, its 3 seeds of both architectures as two runs at a time
on 2 cores (`recipe_projection`, with its verdict lines); `bench/train_seeds.py` times the same recipe end to end.

With --json the result is written to (merged into) that file, which the scan chapter (05c) reads. `--device cuda`
times the same steps on a GPU (wall clock, synchronised) and keeps them under the file's 'devices' key; it has not
been run yet (the project's GPU runs could not reach this script when it was written).
"""
import argparse, datetime, json, os, platform, time, warnings
from pathlib import Path
import torch
import torch.nn.functional as F

FLOOR = 'no scan (floor)'   # a trivial operation in the scan's place: the cost of the rest of the step
TARGET_PAIR_MIN, TARGET_SWEEP_MIN = 15, 60   # the targets: the seed-0 pair, and 3 seeds of both architectures
# the first toy models' runs (`train.FIRST_RECIPE`, sequential scan, the pair at once, one thread each), as their
# training.json recorded them (commit 0c3b578): the epochs the projections scale to, and the wall times 'from_recorded'
# scales. The json keeps them as 'shipped_epochs' and 'recorded_min'.
FIRST_RUNS = dict(mamba=dict(epochs=22, wall_time_s=2638.2203023433685), gpt2=dict(epochs=60, wall_time_s=1455.0701825618744))


def recipe_batches(kind, seed=0):
    "(tokenizer, ids, last, obj, batches) of epoch 0 of the first recipe, built as `train_toy_model` builds them."
    from mamba_mediation.world import WORLD, build_tokenizer, prompts, _n_tokens
    from mamba_mediation.tasks import task_mixture, task_words, _encode
    from mamba_mediation.train import TOY_BATCH, _batches
    tasks, eval_tasks = task_mixture(seed=seed, epoch=0)[0], task_mixture(seed=seed)[1]
    longest = max(1 + _n_tokens(p['prompt']) for p in tasks + eval_tasks)
    words = sorted(set(task_words(tasks + eval_tasks)) | set(WORLD.fillers) | set(WORLD.names))
    tok = build_tokenizer(extra_words=words, model_max_length=max(64, longest))
    ids, last, obj = _encode(tok, prompts('train') + tasks)
    g = torch.Generator().manual_seed(seed)
    return tok, ids, last, obj, _batches((last + 1).tolist(), TOY_BATCH[kind], g), max(64, longest)


def trainer(kind, tok, n_positions, seed=0, lr=3e-3, device='cpu'):
    from mamba_mediation.train import _make_model
    model = _make_model(kind, tok, seed, n_positions=n_positions).to(device); model.train()
    return model, torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.0)


def step(model, opt, ids, last, obj, b, scan=None):
    "One training step of `train_toy_model` (the warm-up learning rate aside); returns (wall s, CPU s; on a GPU: wall s twice)."
    from mamba_mediation.tasks import _answer_logits
    cuda = ids.is_cuda
    if cuda: torch.cuda.synchronize()
    t, c = time.perf_counter(), time.process_time()
    b = torch.tensor(b); L = int(last[b].max()) + 1
    logits = _answer_logits(model, ids[b, :L], last[b], scan)
    loss = F.cross_entropy(logits, obj[b])
    opt.zero_grad(); loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if cuda: torch.cuda.synchronize(); return time.perf_counter() - t, time.perf_counter() - t
    return time.perf_counter() - t, time.process_time() - c


def time_scans(variants, reps, b=64, T=90, D=256, N=16):
    "CPU seconds of one layer's scan, forward and forward+backward, at the shape of a long training batch; scans in turn."
    g = torch.Generator().manual_seed(0)
    dt = F.softplus(torch.randn(b, T, D, generator=g) - 1); A = -torch.exp(torch.randn(D, N, generator=g))
    xs = [dt, A, dt * torch.randn(b, T, D, generator=g), torch.randn(b, T, N, generator=g), torch.randn(b, T, N, generator=g)]
    out = {v: dict(fwd_s=[], fwd_bwd_s=[]) for v in variants}
    for _ in range(reps):
        for v, scan in variants.items():
            ins = [x.clone().requires_grad_() for x in xs]
            c = time.process_time(); y = scan(*ins); c1 = time.process_time(); y.sum().backward(); c2 = time.process_time()
            out[v]['fwd_s'].append(c1 - c); out[v]['fwd_bwd_s'].append(c2 - c)
    return {v: dict(fwd_s=min(r['fwd_s']), fwd_bwd_s=min(r['fwd_bwd_s']), shape=[b, T, D, N]) for v, r in out.items()}


def tokens(batches, last):
    return sum(len(b) * (int(last[torch.tensor(b)].max()) + 1) for b in batches)


def length(b, last): return int(last[torch.tensor(b)].max()) + 1


def spread(batches, last, n):
    "n batches at evenly spaced quantiles of the batches' lengths, shortest first."
    order = sorted(range(len(batches)), key=lambda i: length(batches[i], last))
    return [batches[order[min(len(order) - 1, int((k + 0.5) * len(order) / n))]] for k in range(n)]


def project(batches, last, timed, cpu_s):
    "CPU seconds of an epoch: each batch at the seconds per token of the timed batch nearest in length."
    per_tok = [(length(b, last), c / (len(b) * length(b, last))) for b, c in zip(timed, cpu_s)]
    return sum(len(b) * length(b, last) * min(per_tok, key=lambda lp: abs(lp[0] - length(b, last)))[1] for b in batches)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--steps', type=int, default=4, help='training steps timed per variant (the first of epoch 0)')
    ap.add_argument('--chunks', type=int, nargs='*', default=[], help='chunk lengths of the chunked scan to time (default: none)')
    ap.add_argument('--scan-reps', type=int, default=3, help='repetitions of the scan-alone timing, per scan')
    ap.add_argument('--threads', type=int, default=1, help='torch.set_num_threads (the recorded runs: 1 per model)')
    ap.add_argument('--skip-gpt2', action='store_true')
    ap.add_argument('--device', default='cpu', help="'cpu' (the results the chapter reads) or 'cuda' (kept under 'devices')")
    ap.add_argument('--json', default=None, help='write the result into this JSON file (e.g. bench/train_bench.json)')
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    warnings.simplefilter('ignore')
    from mamba_mediation.scan import _scan_fn
    load_before = os.getloadavg()
    variants = {v: _scan_fn(v) for v in ('sequential', 'inline', 'fused')} | {f'chunked-{c}': _scan_fn('chunked', c) for c in a.chunks}
    variants[FLOOR] = lambda dt, A, u, B, C: u * (B * C).sum(-1, keepdim=True)
    scan_alone = time_scans(variants, a.scan_reps)
    tok, ids, last, obj, batches, npos = recipe_batches('mamba')
    ids, obj = ids.to(a.device), obj.to(a.device)
    models = {v: trainer('mamba', tok, npos, device=a.device) for v in variants}
    if a.device != 'cpu':   # warm-up (kernels, allocator) on the first batch, then fresh copies
        for v, scan in variants.items(): step(*models[v], ids, last, obj, batches[0], scan)
        models = {v: trainer('mamba', tok, npos, device=a.device) for v in variants}
    times = {v: [] for v in variants}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {os.cpu_count()} cores, "
          f"load average {load_before[0]:.2f}; toy Mamba, {a.steps} steps at quantiles of the lengths of the {len(batches)} batches of epoch 0")
    sample = spread(batches, last, a.steps)
    for i, b in enumerate(sample):
        for v, scan in variants.items():          # A B A B: every variant takes the same batch in turn
            times[v].append(step(*models[v], ids, last, obj, b, scan))
        print(f"  step {i}: {len(b)} prompts x {length(b, last)} tokens: "
              + ', '.join(f"{v} {times[v][-1][1]:.2f}s" for v in variants), flush=True)
    # the copies saw the same batches from the same start: their weights still agree (a check that both trained the same model)
    ref = dict(models['sequential'][0].named_parameters())
    drift = {v: max(((p - ref[n]).abs().max() / ref[n].abs().max().clamp_min(1e-30)).item()
                    for n, p in models[v][0].named_parameters()) for v in variants if v not in ('sequential', FLOOR)}
    timed = tokens(sample, last); epoch_tokens = {'mamba': tokens(batches, last)}
    # length-sorted batching ('sorted'): the same prompts in other batches, each projected at the timed seconds per token
    from mamba_mediation.train import TOY_BATCH, _batches
    resort = lambda kind, last: _batches((last + 1).tolist(), TOY_BATCH[kind], torch.Generator().manual_seed(0), 'sorted')
    sorted_b = {'mamba': resort('mamba', last)}
    epoch_tokens_sorted = {'mamba': tokens(sorted_b['mamba'], last)}
    epoch_s_sorted = {v: project(sorted_b['mamba'], last, sample, [c for _, c in ts]) for v, ts in times.items()}
    per_step = {v: dict(wall_s=sum(t for t, _ in ts) / len(ts), cpu_s=sum(c for _, c in ts) / len(ts)) for v, ts in times.items()}
    epoch_s = {v: project(batches, last, sample, [c for _, c in ts]) for v, ts in times.items()}
    row = dict(steps_timed=a.steps, lengths_timed=[length(b, last) for b in sample], tokens_timed=timed,
               batches_per_epoch=len(batches), per_step=per_step, epoch_cpu_s=epoch_s,
               max_rel_weight_diff_after=drift)
    gpt = None
    if not a.skip_gpt2:
        tok2, ids2, last2, obj2, batches2, npos2 = recipe_batches('gpt2')
        ids2, obj2 = ids2.to(a.device), obj2.to(a.device)
        m2 = trainer('gpt2', tok2, npos2, device=a.device)
        if a.device != 'cpu': step(*m2, ids2, last2, obj2, batches2[0]); m2 = trainer('gpt2', tok2, npos2, device=a.device)
        sample2 = spread(batches2, last2, a.steps)
        ts2 = [step(*m2, ids2, last2, obj2, b) for b in sample2]
        t2 = tokens(sample2, last2); epoch_tokens['gpt2'] = tokens(batches2, last2)
        epoch_s['gpt2'] = project(batches2, last2, sample2, [c for _, c in ts2])
        sorted_b['gpt2'] = resort('gpt2', last2)
        epoch_tokens_sorted['gpt2'] = tokens(sorted_b['gpt2'], last2)
        epoch_s_sorted['gpt2'] = project(sorted_b['gpt2'], last2, sample2, [c for _, c in ts2])
        gpt = dict(steps_timed=a.steps, lengths_timed=[length(b, last2) for b in sample2], tokens_timed=t2,
                   batches_per_epoch=len(batches2), epoch_cpu_s=epoch_s['gpt2'],
                   per_step=dict(wall_s=sum(t for t, _ in ts2) / len(ts2), cpu_s=sum(c for _, c in ts2) / len(ts2)))
        print(f"toy GPT-2: {gpt['per_step']['cpu_s']:.2f} s CPU per step (batch 128)")
    load_after = os.getloadavg()
    # projection of the full recipe: the epoch's projected CPU time x the first runs' epochs
    proj = {}
    for v in variants:
        mam = epoch_s[v] * FIRST_RUNS['mamba']['epochs'] / 60
        gp = epoch_s['gpt2'] * FIRST_RUNS['gpt2']['epochs'] / 60 if gpt else None
        pair = max(mam, gp) if gp is not None else mam
        proj[v] = dict(mamba_min=mam, gpt2_min=gp, pair_min=pair, sweep_3_seeds_min=3 * pair,
                       pair_target_met=pair <= TARGET_PAIR_MIN, sweep_target_met=3 * pair <= TARGET_SWEEP_MIN)
    best = min((v for v in variants if v.startswith('chunked')), key=lambda v: epoch_s[v], default=None)
    scans = [v for v in variants if v != FLOOR]
    speedup = {v: epoch_s['sequential'] / epoch_s[v] for v in scans if v != 'sequential'}   # over a whole epoch
    speedup_vs_inline = {v: epoch_s['inline'] / epoch_s[v] for v in scans if v != 'inline'}
    scan_speedup = {v: {k: scan_alone['sequential'][k] / scan_alone[v][k] for k in ('fwd_s', 'fwd_bwd_s')} for v in variants}
    scan_speedup_vs_inline = {v: {k: scan_alone['inline'][k] / scan_alone[v][k] for k in ('fwd_s', 'fwd_bwd_s')} for v in variants}
    print()
    print("| scan | s CPU / step | s wall / step | speed-up vs sequential (epoch) | projected Mamba min | projected pair min |")
    print("|---|---|---|---|---|---|")
    for v in scans:
        print(f"| {v} | {per_step[v]['cpu_s']:.2f} | {per_step[v]['wall_s']:.2f} | "
              f"{1.0 if v == 'sequential' else speedup[v]:.2f}x | {proj[v]['mamba_min']:.0f} | {proj[v]['pair_min']:.0f} |")
    # the same from the first runs' recorded wall times (sequential scan, one thread each, the pair at once): the load of
    # this run cancels out of the ratio
    rec = {k: FIRST_RUNS[k]['wall_time_s'] / 60 for k in ('mamba', 'gpt2')}
    from_recorded = {}
    for v in variants:
        mam = rec['mamba'] * epoch_s[v] / epoch_s['sequential']
        pair = max(mam, rec['gpt2'])
        from_recorded[v] = dict(mamba_min=mam, gpt2_min=rec['gpt2'], pair_min=pair, sweep_3_seeds_min=3 * pair,
                                pair_target_met=pair <= TARGET_PAIR_MIN, sweep_target_met=3 * pair <= TARGET_SWEEP_MIN)
    fastest = min(scans, key=lambda v: epoch_s[v])
    fp, fr, verdict = proj[fastest], from_recorded[fastest], []
    for what, key, target in (('the seed-0 pair', 'pair_min', TARGET_PAIR_MIN), ('a 3-seed sweep of both', 'sweep_3_seeds_min', TARGET_SWEEP_MIN)):
        got = fr[key]
        verdict.append(f"{what}: {got:.0f} min with the fastest scan ({fastest}), from the recorded run scaled by the measured "
                       f"ratio ({fp[key]:.0f} min projected under this run's load), against a target of {target} min: "
                       + ('met' if got <= target else f"missed by {got - target:.0f} min ({got / target:.1f}x)"))
    where = 'this CPU' if a.device == 'cpu' else a.device
    fl = epoch_s[FLOOR] / epoch_s[fastest]
    why = (f"On {where}, one layer's scan alone (forward and backward, batch 64, 90 positions, random inputs) takes "
           + ', '.join(f"{scan_alone[v]['fwd_bwd_s']:.2f} s ({v})" for v in scans)
           + f". Inside a whole Mamba training step the fused scan runs the step {speedup['fused']:.2f}x as fast as the sequential "
           f"scan and {speedup_vs_inline['fused']:.2f}x as fast as the inline one. With the scan replaced by a trivial "
           f"operation (the floor: projections, convolution, gates, loss, optimiser) a step costs {fl:.0%} of the fastest scan's, "
           f"so the scan is {1 - fl:.0%} of the step; even a free scan would make the step only {1 / fl:.1f}x as fast.")
    if best is not None and speedup[best] < 1:
        why += (f" The chunked scan is slower (best: {best}, {speedup[best]:.2f}x): a parallel scan adds memory traffic "
                "(log2(chunk) passes over the whole tensor, plus the carry); it is meant for an accelerator.")
    if not fr['pair_target_met'] or not fr['sweep_target_met']:
        why += (f" The pair trains at once, so its time is the longer of the two models': the GPT-2 took {rec['gpt2']:.0f} min in "
                f"the recorded run, which no scan of the Mamba's changes, and the Mamba takes {fr['mamba_min']:.0f} min with the "
                f"{fastest} scan ({from_recorded[FLOOR]['mamba_min']:.0f} min with no scan at all). What remains is the floor of "
                "the matrix products and elementwise work of both models on one thread each.")
    # the recipe the sweep chose (train.TOY_RECIPE): length-sorted batches, its own epoch budgets, the fastest scan
    from mamba_mediation.train import TOY_EPOCHS
    rp = dict(mamba_min=epoch_s_sorted[fastest] * TOY_EPOCHS['mamba'] / 60,
              gpt2_min=epoch_s_sorted['gpt2'] * TOY_EPOCHS['gpt2'] / 60 if gpt else None, epochs=dict(TOY_EPOCHS))
    rp['pair_min'] = max(rp['mamba_min'], rp['gpt2_min'] or 0)
    rp['sweep_3_seeds_min'] = 3 * (rp['mamba_min'] + (rp['gpt2_min'] or 0)) / 2   # two runs at a time on 2 cores
    rp.update(pair_target_met=rp['pair_min'] <= TARGET_PAIR_MIN, sweep_target_met=rp['sweep_3_seeds_min'] <= TARGET_SWEEP_MIN)
    for what, key, target in (('the seed-0 pair', 'pair_min', TARGET_PAIR_MIN), ('3 seeds of both, two runs at a time', 'sweep_3_seeds_min', TARGET_SWEEP_MIN)):
        verdict.append(f"TOY_RECIPE, {what}: {rp[key]:.0f} min projected under this run's load (sorted batches, {fastest} scan, "
                       f"{TOY_EPOCHS['mamba']} and {TOY_EPOCHS['gpt2']} epochs), against a target of {target} min: "
                       + ('met' if rp[key] <= target else f"missed by {rp[key] - target:.0f} min ({rp[key] / target:.1f}x)"))
    print(); print('\n'.join(verdict)); print(why)
    batching = {k: dict(padded_tokens_grouped=epoch_tokens[k], padded_tokens_sorted=epoch_tokens_sorted[k],
                        epoch_cpu_s_grouped=epoch_s[fastest if k == 'mamba' else 'gpt2'],
                        epoch_cpu_s_sorted=epoch_s_sorted[fastest if k == 'mamba' else 'gpt2'])
                for k in epoch_tokens_sorted}
    for k, r in batching.items():
        r['speedup'] = r['epoch_cpu_s_grouped'] / r['epoch_cpu_s_sorted']
        print(f"{k}: length-sorted batches pad an epoch to {r['padded_tokens_sorted']:,} tokens instead of "
              f"{r['padded_tokens_grouped']:,}; projected epoch {r['epoch_cpu_s_sorted']:.0f} s CPU instead of "
              f"{r['epoch_cpu_s_grouped']:.0f} s ({r['speedup']:.2f}x{', ' + fastest + ' scan' if k == 'mamba' else ''})")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    if a.json:
        path = Path(a.json)
        data = json.loads(path.read_text()) if path.exists() else {}
        res = dict(date=datetime.date.today().isoformat(), torch=torch.__version__, threads=torch.get_num_threads(),
                    cores=os.cpu_count(), machine=platform.processor() or platform.machine(),
                    load_average_before=[round(x, 2) for x in load_before], load_average_after=[round(x, 2) for x in load_after],
                    command='python bench/bench_train.py ' + ' '.join(argv if argv is not None else __import__('sys').argv[1:]),
                    scan_reps=a.scan_reps, scan_alone_cpu_s=scan_alone, scan_alone_speedup=scan_speedup, scan_alone_speedup_vs_inline=scan_speedup_vs_inline,
                    mamba=row, gpt2=gpt, speedup_cpu=speedup, speedup_vs_inline_cpu=speedup_vs_inline, best_chunked=best, floor=FLOOR, projection=proj, from_recorded=from_recorded,
                    recorded_min=rec,
                    shipped_epochs={k: r['epochs'] for k, r in FIRST_RUNS.items()}, epoch_tokens=epoch_tokens,
                    targets_min=dict(pair=TARGET_PAIR_MIN, sweep_3_seeds=TARGET_SWEEP_MIN), verdict=verdict, why=why,
                    recipe_projection=rp,
                    batching=batching)
        if a.device == 'cpu': data.update(res)
        else:
            res |= dict(device=torch.cuda.get_device_name() if a.device.startswith('cuda') else a.device,
                        timer='wall clock, synchronised (the cpu_s fields hold it too)')
            data.setdefault('devices', {})[a.device] = res
        path.write_text(json.dumps(data, indent=1) + '\n')


if __name__ == '__main__':
    main()
