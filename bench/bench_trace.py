"""Benchmark of causal tracing: reference loop vs batched engine (not a test).

Times a full residual-stream heatmap (every layer x every token, 10 samples) with the one-restoration-per-forward
reference loop and with the batched engine, on the toy Mamba and on a randomly initialised model of mamba-130m's
shape, on the CPU, and checks that the two engines return the same scores. Wall-clock and process CPU time are both
printed: on a shared machine the CPU time of this process is the steadier measure (run with --threads 1 for it to
mean compute).

    python bench/bench_trace.py [--threads N] [--samples 10] [--models toy,mamba-130m] [--json bench/trace_bench.json]

With --json the rows are merged into that file (one row per model, a new run of a model replaces its row), which the
tracing chapter reads to draw its speed table.
"""
import argparse, datetime, json, os, time, warnings
from pathlib import Path
import numpy as np
import torch

from mamba_mediation.load import load_model, random_model
from mamba_mediation.trace import calculate_hidden_flow

PROMPT, SUBJECT = "The Eiffel Tower is located in the city of", "Eiffel Tower"


def bench(mt, label, samples, prompt=PROMPT, subject=SUBJECT):
    out = {}
    for engine in ('reference', 'batched'):
        calculate_hidden_flow(mt, prompt, subject, samples=samples, engine=engine, per_layer=True)  # warm-up
        t, c = time.perf_counter(), time.process_time()
        r = calculate_hidden_flow(mt, prompt, subject, samples=samples, engine=engine)
        out[engine] = (time.perf_counter() - t, time.process_time() - c, r)
    (tr, cr, rr), (tb, cb, rb) = out['reference'], out['batched']
    diff = float(np.abs(rr.scores - rb.scores).max())
    T, L = rr.scores.shape
    print(f"{label:<26} {T:>2} tok x {L:>2} layers x {samples} samples | wall: reference {tr:7.2f} s, batched "
          f"{tb:6.2f} s, ratio {tr / tb:4.1f}x | CPU time: reference {cr:7.2f} s, batched {cb:6.2f} s, ratio "
          f"{cr / cb:4.1f}x | max |score diff| {diff:.1e} (scores up to {np.abs(rr.scores).max():.1e})", flush=True)
    return dict(model=label, tokens=T, layers=L, samples=samples,
                reference_s=tr, batched_s=tb, ratio=tr / tb, reference_cpu_s=cr, batched_cpu_s=cb, max_abs_diff=diff)


def save_rows(path, rows, threads):
    "Merge `rows` into the JSON file at `path` (a row per model; this run's rows replace older ones of the same model)."
    path = Path(path)
    data = json.loads(path.read_text()) if path.exists() else {'rows': {}}
    env = dict(date=datetime.date.today().isoformat(), torch=torch.__version__, threads=threads, cores=os.cpu_count(),
               load_average=round(os.getloadavg()[0], 2), device='cpu')
    for r in rows: data['rows'][r['model']] = r | env
    path.write_text(json.dumps(data, indent=1) + '\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch default)')
    ap.add_argument('--samples', type=int, default=10)
    ap.add_argument('--models', default='toy,mamba-130m')
    ap.add_argument('--json', default=None, help='merge the rows into this JSON file (e.g. bench/trace_bench.json)')
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    warnings.simplefilter('ignore')
    print(f"CPU, torch {torch.__version__}, {torch.get_num_threads()} threads; prompt {PROMPT!r}, subject {SUBJECT!r}")
    rows = []
    for m in a.models.split(','):
        if m == 'toy':
            mt = load_model(device='cpu')
            rows.append(bench(mt, f"toy ({mt.name})", a.samples) | {'model': f"{mt.name} (shipped)"})
        else:
            mt = random_model(m, device='cpu')
            rows.append(bench(mt, f"random {m}", a.samples) | {'model': f"random weights, {m} shape"})
    if a.json: save_rows(a.json, rows, torch.get_num_threads())


if __name__ == '__main__':
    main()
