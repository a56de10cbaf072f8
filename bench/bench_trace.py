"""Benchmark of causal tracing: reference loop vs batched engine (not a test).

Times a full residual-stream heatmap (every layer x every token, 10 samples) with the one-restoration-per-forward
reference loop and with the batched engine, on the toy Mamba and on a randomly initialised model of mamba-130m's
shape, on the CPU, and checks that the two engines return the same scores.

    python bench/bench_trace.py [--threads N] [--samples 10] [--models toy,mamba-130m]
"""
import argparse, time, warnings
import numpy as np
import torch

from mamba_mediation.load import load_model, random_model
from mamba_mediation.trace import calculate_hidden_flow

PROMPT, SUBJECT = "The Eiffel Tower is located in the city of", "Eiffel Tower"


def bench(mt, label, samples, prompt=PROMPT, subject=SUBJECT):
    out = {}
    for engine in ('reference', 'batched'):
        calculate_hidden_flow(mt, prompt, subject, samples=samples, engine=engine, per_layer=True)  # warm-up
        t = time.perf_counter()
        r = calculate_hidden_flow(mt, prompt, subject, samples=samples, engine=engine)
        out[engine] = (time.perf_counter() - t, r)
    (tr, rr), (tb, rb) = out['reference'], out['batched']
    diff = float(np.abs(rr.scores - rb.scores).max())
    T, L = rr.scores.shape
    print(f"{label:<28} {T:>3} tok x {L:>2} layers x {samples} samples | reference {tr:8.2f} s | "
          f"batched {tb:7.2f} s | speed-up {tr / tb:5.1f}x | max |score diff| {diff:.1e}", flush=True)
    return tr, tb, diff


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch default)')
    ap.add_argument('--samples', type=int, default=10)
    ap.add_argument('--models', default='toy,mamba-130m')
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    warnings.simplefilter('ignore')
    print(f"CPU, torch {torch.__version__}, {torch.get_num_threads()} threads; prompt {PROMPT!r}, subject {SUBJECT!r}")
    for m in a.models.split(','):
        if m == 'toy':
            mt = load_model(device='cpu')
            bench(mt, f"toy ({mt.name})", a.samples)
        else:
            mt = random_model(m, device='cpu')
            bench(mt, f"random {m}", a.samples)


if __name__ == '__main__':
    main()
