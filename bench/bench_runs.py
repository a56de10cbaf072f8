#!/usr/bin/env python
"""Benchmark of dataset runs (`mamba_mediation.runs`).

CPU (default): facts per minute on the fact world with the toy Mamba and the kinds resid, mixer, h, conv,
  * 1 process (`mamba-mediation run`, with torch's default threads and with one thread) against 2 processes
    (`torchrun --nproc_per_node 2 --no-python mamba-mediation run`, one thread each, as torchrun sets), wall time of the
    whole command (start-up included), and
  * the overhead of the store: the same units traced in this process into a store (`run_facts`) and into memory
    (`trace_unit` in a loop, nothing written).

    python bench/bench_runs.py                      # 4 facts x 4 kinds, 10 samples; into nbs/runs_bench.json (its other section kept)

GPU (where one is lent): random-weight models of the published shapes, float32 and bfloat16, seconds per fact for each
kind, rows per batched forward, peak memory, and the projected time of all of known_1000 (1,209 facts):

    python bench/bench_runs.py --gpu --shapes 130m 1.4b 2.8b --dtypes float32 bfloat16 --facts 8

Target (from the issue): 1,209 facts x {resid, mixer, h, conv} on mamba-2.8b in under one hour on one H200.
Random weights predict anything, so the GPU runs trace each fact's own prediction (answer None): the work per fact is
the same as for a real checkpoint.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time, warnings
from pathlib import Path

KNOWN_1000 = 1209
SHAPES = {'130m': 'mamba-130m', '370m': 'mamba-370m', '790m': 'mamba-790m', '1.4b': 'mamba-1.4b', '2.8b': 'mamba-2.8b'}
KINDS = ('resid', 'mixer', 'h', 'conv')


def _cli(*args):
    exe = Path(sys.executable).parent / 'mamba-mediation'
    return [str(exe), *map(str, args)]


def cpu_bench(a, tmp: Path) -> dict:
    import torch
    from mamba_mediation.load import load_model
    from mamba_mediation.store import read_facts
    from mamba_mediation.runs import run_config, run_facts, trace_unit, rows_per_forward
    common = ['run', 'world', '--kinds', ','.join(KINDS), '--samples', a.samples, '--limit', a.facts, '--no-progress']
    out = dict(facts=a.facts, kinds=list(KINDS), samples=a.samples, cores=os.cpu_count(), torch=torch.__version__,
               threads=torch.get_num_threads(), load_average_before=os.getloadavg()[1])  # 5-minute load average
    if a.only_store:  # keep the process timings of an earlier run of the same settings
        out = json.loads(Path(a.only_store).read_text())['cpu']
        return _store_overhead(a, tmp, out)
    for threads in (None, 1):  # torch's default (one per core), and one thread as torchrun gives each rank
        env = dict(os.environ, **({'OMP_NUM_THREADS': str(threads)} if threads else {}))
        key = 'one_process_s' if threads is None else 'one_process_1thread_s'
        t0 = time.perf_counter()
        # `run` picks one thread for the toy models itself; --threads gives it torch's default (one per core) here
        extra = ['--threads', threads or torch.get_num_threads()]
        r1 = subprocess.run(_cli(*common, *extra, '--out', tmp / f'one{threads}'), capture_output=True, text=True, env=env)
        out[key] = time.perf_counter() - t0
        assert r1.returncode == 0, r1.stderr
        print(f"1 process, {threads or 'default'} threads: {out[key]:.1f} s", flush=True)
    t0 = time.perf_counter()
    r2 = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2',
                         '--no-python', *_cli(*common, '--out', tmp / 'two')], capture_output=True, text=True)
    out['two_processes_s'] = time.perf_counter() - t0
    assert r2.returncode == 0, r2.stderr
    print(f"2 processes: {out['two_processes_s']:.1f} s", flush=True)
    out['facts_per_min_1'] = a.facts / out['one_process_s'] * 60
    out['facts_per_min_1_1thread'] = a.facts / out['one_process_1thread_s'] * 60
    out['facts_per_min_2'] = a.facts / out['two_processes_s'] * 60
    out['ratio_2_over_1'] = out['one_process_s'] / out['two_processes_s']
    out['ratio_2_over_1_1thread'] = out['one_process_1thread_s'] / out['two_processes_s']
    from mamba_mediation.store import ResultStore
    s1, s2 = ResultStore(tmp / 'oneNone').scores(), ResultStore(tmp / 'two').scores()
    out['two_equal_one'] = sorted(s1) == sorted(s2) and all((s1[k] == s2[k]).all() for k in s1)
    out['two_max_abs_diff'] = max(float(abs(s1[k] - s2[k]).max()) for k in s1) if sorted(s1) == sorted(s2) else float('nan')
    out['load_average_after'] = os.getloadavg()[1]
    return _store_overhead(a, tmp, out)


def _store_overhead(a, tmp, out):
    import torch
    from mamba_mediation.load import load_model
    from mamba_mediation.store import read_facts, ResultStore
    from mamba_mediation.runs import run_config, run_facts, trace_unit, rows_per_forward
    # store overhead, in this process (one torch thread: steadier on a shared machine): into the store and into memory
    torch.set_num_threads(a.threads)
    out['inproc_threads'] = a.threads
    mt = load_model('toy-mamba', device='cpu')
    facts = read_facts('world')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        cfg = run_config(mt, facts, samples=a.samples)
        for k in KINDS: trace_unit(mt, facts[0], k, cfg)  # warm-up (first-call costs), not timed

        def memory():
            cfg = run_config(mt, facts, samples=a.samples)
            return [trace_unit(mt, f, k, cfg, None if k in ('h', 'conv') else
                               rows_per_forward(mt, len(mt.tokenizer(f.prompt)['input_ids'])))
                    for f in facts[:a.facts] for k in KINDS]
        times = {'memory_s': [], 'store_s': []}
        for rep in range(2):  # alternate, keep the best of two of each: the machine's load varies
            t0 = time.perf_counter(); memory(); times['memory_s'].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            run_facts('world', mt, kinds=KINDS, store=tmp / f'inproc{rep}', samples=a.samples, limit=a.facts,
                      progress=False, log=lambda s: None)
            times['store_s'].append(time.perf_counter() - t0)
        out.update({k: min(v) for k, v in times.items()}, times=times)
    out['store_overhead'] = out['store_s'] / out['memory_s'] - 1
    out['store_bytes'] = sum(p.stat().st_size for p in (tmp / 'inproc0').glob('*'))
    # within one run (immune to the load changing between runs): the run's time outside the traces themselves
    traced = [ResultStore(tmp / f'inproc{r}').frame().seconds.sum() for r in range(2)]
    out['store_overhead_within'] = min((s - t) / t for s, t in zip(times['store_s'], traced))
    print(f"in memory {out['memory_s']:.1f} s, into the store {out['store_s']:.1f} s "
          f"(overhead {100 * out['store_overhead']:+.1f}%; within the run {100 * out['store_overhead_within']:+.1f}%), "
          f"store {out['store_bytes'] / 1024:.0f} kB", flush=True)
    return out


def gpu_bench(a, tmp: Path) -> list:
    import torch
    from mamba_mediation.load import random_model
    from mamba_mediation.store import read_facts, ResultStore, FactRecord
    from mamba_mediation.runs import run_facts
    facts = [FactRecord(f.fact_id, f.prompt, f.subject, None) for f in read_facts('world')[:a.facts]]
    rows = []
    for shape in a.shapes:
        for dt in a.dtypes:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                mt = random_model(SHAPES[shape], device=a.device, dtype=dt)
            torch.cuda.reset_peak_memory_stats()
            st = tmp / f'{shape}_{dt}'
            s = run_facts(facts, mt, kinds=KINDS, store=st, samples=a.samples, progress=False,
                          check_fp32=2 if dt != 'float32' else 0, log=print)
            df = ResultStore(st).frame()
            per_kind = df[df.status == 'done'].groupby('kind').seconds.median().to_dict()
            per_fact = sum(per_kind.get(k, float('nan')) for k in KINDS)
            r = dict(shape=shape, dtype=dt, facts=len(facts), samples=a.samples, seconds_per_fact=per_kind,
                     seconds_per_fact_all_kinds=per_fact, rows_per_forward=s.max_rows, peak_mib=s.peak_mb,
                     known_1000_hours=per_fact * KNOWN_1000 / 3600, dtype_check=s.dtype_check, done=s.done)
            rows.append(r)
            print(json.dumps(r), flush=True)
            del mt
            torch.cuda.empty_cache()
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--facts', type=int, default=4, help='facts of the fact world to trace (default 4)')
    ap.add_argument('--samples', type=int, default=10, help='noise samples (ROME: 10)')
    ap.add_argument('--threads', type=int, default=1, help='torch threads of the in-process store-overhead measurement')
    ap.add_argument('--only-store', default=None, metavar='JSON',
                    help='measure only the store overhead, keeping the process timings of this earlier output')
    ap.add_argument('--gpu', action='store_true', help='the GPU benchmark (random-weight shapes) instead of the CPU one')
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--shapes', nargs='+', default=['130m', '1.4b', '2.8b'], choices=list(SHAPES))
    ap.add_argument('--dtypes', nargs='+', default=['float32', 'bfloat16'], choices=['float32', 'bfloat16', 'float16'])
    ap.add_argument('--json', default=None, help='write the numbers here (default: nbs/runs_bench.json for the CPU run)')
    a = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix='bench_runs_'))
    try:
        res = dict(gpu=gpu_bench(a, tmp)) if a.gpu else dict(cpu=cpu_bench(a, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    path = a.json or (None if a.gpu else str(Path(__file__).resolve().parent.parent / 'nbs' / 'runs_bench.json'))
    print(json.dumps(res, indent=1))
    if path:   # merged into the file: a CPU run keeps its GPU section and the other way round
        old = json.loads(Path(path).read_text()) if Path(path).exists() else {}
        Path(path).write_text(json.dumps(old | res, indent=1) + '\n')
        print(f"wrote {path}")


if __name__ == '__main__':
    main()
