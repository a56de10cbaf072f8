#!/usr/bin/env python
"""Benchmark: a full h-state heatmap (every layer x every token, `--samples` noise samples) by the token-by-token
reference (`reference_state_trace`, Hugging Face's cache) and by the fast path (`fast_state_trace`), with the ratio.

    python bench/bench_ssm_state.py                                   # toy Mamba and a random model of mamba-130m's shape, CPU
    python bench/bench_ssm_state.py --models 130m 1.4b 2.8b --device cuda --dtype float32

Targets (from the issue): fast >= 5x the reference on the CPU for the 130m shape, >= 30x on a GPU.
The scores of the two must agree (max |diff| printed; 1e-5 in float32). Peak memory: CUDA max_memory_allocated per
phase on a GPU; on the CPU the process's peak resident set size after each phase (it only grows).
With --json FILE the rows are merged into FILE (a row per model and device; a new run replaces its row), which the
SSM-state chapter reads to draw its speed table.
"""
import argparse, datetime, json, os, resource, sys, time, warnings
from pathlib import Path
import numpy as np
import torch

SHAPES = {'toy': None, '130m': 'mamba-130m', '370m': 'mamba-370m', '790m': 'mamba-790m', '1.4b': 'mamba-1.4b',
          '2.8b': 'mamba-2.8b', 'mamba2-130m': 'mamba2-130m'}


def _peak_mib(device) -> float:
    if device.startswith('cuda'): return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10


def _peak(device):
    if device.startswith('cuda'):
        return f"{torch.cuda.max_memory_allocated() / 2**20:,.0f} MiB (CUDA)"
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:,.0f} MiB (RSS)"


def _reset(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()


def _sync(device):
    if device.startswith('cuda'): torch.cuda.synchronize()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--models', nargs='+', default=['toy', '130m'], choices=list(SHAPES))
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--dtype', default='float32', choices=['float32', 'bfloat16', 'float16'])
    ap.add_argument('--samples', type=int, default=10, help='noise samples (ROME: 10)')
    ap.add_argument('--tokens', type=int, default=10, help='prompt length for the random-weight shapes')
    ap.add_argument('--kind', default='h', help="state kind (default 'h')")
    ap.add_argument('--threads', type=int, default=None, help='torch.set_num_threads (CPU)')
    ap.add_argument('--skip-reference', action='store_true', help='time the fast path only')
    ap.add_argument('--json', default=None, help='merge the rows into this JSON file (e.g. bench/ssm_state_bench.json)')
    a = ap.parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    from mamba_mediation.load import load_model, random_model
    from mamba_mediation.corrupt import corrupt_embeddings, Corruption, collect_embedding_std, find_subject_range
    from mamba_mediation.ssm_state import fast_state_trace, reference_state_trace
    dtype = getattr(torch, a.dtype)
    rows, records = [], []
    print(f"device {a.device}, dtype {a.dtype}, samples {a.samples}, kind {a.kind!r}, torch threads {torch.get_num_threads()}")
    for name in a.models:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            mt = load_model(device=a.device, dtype=dtype) if name == 'toy' else random_model(SHAPES[name], device=a.device, dtype=dtype)
        if name == 'toy':
            prompt, subject = "The Eiffel Tower is located in the city of", "The Eiffel Tower"
            ids = mt.tokenizer(prompt)['input_ids']  # with the BOS, as find_subject_range counts
            b, e = find_subject_range(mt.tokenizer, prompt, subject)
            sigma = collect_embedding_std(mt, [subject])
        else:
            g = torch.Generator().manual_seed(0)
            ids = torch.randint(0, min(mt.arch.vocab_size, 1000), (a.tokens,), generator=g).tolist()
            b, e = 1, 3
            with torch.no_grad(): sigma = float(mt.model.get_input_embeddings().weight[:1000].float().std())
        input_ids = torch.tensor(ids, device=mt.device)
        x = corrupt_embeddings(mt, input_ids, (b, e), Corruption(k=3.0), a.samples, sigma).to(dtype)
        with torch.no_grad(): ans = int(mt.model(inputs_embeds=x[:1]).logits[0, -1].argmax())
        fast_state_trace(mt.model, x[:, :3], ans, a.kind, layers=[0])  # warm-up
        _reset(a.device); t0, c0 = time.perf_counter(), time.process_time()
        fast = fast_state_trace(mt.model, x, ans, a.kind); _sync(a.device)
        tf, cf = time.perf_counter() - t0, time.process_time() - c0
        mem_f, mib_f = _peak(a.device), _peak_mib(a.device)
        tr, err, mem_r, mib_r, cr = float('nan'), float('nan'), '-', None, None
        if not a.skip_reference:
            _reset(a.device); t0, c0 = time.perf_counter(), time.process_time()
            ref = reference_state_trace(mt.model, x, ans, a.kind); _sync(a.device)
            tr, cr = time.perf_counter() - t0, time.process_time() - c0
            mem_r, mib_r = _peak(a.device), _peak_mib(a.device)
            err = (ref - fast).abs().max().item()
        rows.append((mt.name if name == 'toy' else f"random {SHAPES[name]}", mt.arch.n_layer, len(ids), a.samples, tr, tf, tr / tf, err, mem_r, mem_f))
        records.append(dict(model=f"{mt.name} (shipped)" if name == 'toy' else f"random weights, {SHAPES[name]} shape",
                            layers=mt.arch.n_layer, tokens=len(ids), samples=a.samples, reference_s=tr, fast_s=tf,
                            ratio=tr / tf, reference_cpu_s=cr, fast_cpu_s=cf, max_abs_diff=err, peak_mib_reference=mib_r, peak_mib_fast=mib_f,
                            peak_memory='CUDA max_memory_allocated' if a.device.startswith('cuda') else 'process peak RSS'))
        print(f"  {rows[-1][0]}: reference {tr:.1f}s, fast {tf:.1f}s, ratio {tr / tf:.1f}x, max |diff| {err:.1e}", flush=True)
        del mt
    print()
    print("| model | layers | tokens | samples | reference s | fast s | ratio | max abs diff | peak mem (reference) | peak mem (fast) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.1f} | {r[5]:.2f} | {r[6]:.1f}x | {r[7]:.1e} | {r[8]} | {r[9]} |")
    if a.json:
        path = Path(a.json)
        data = json.loads(path.read_text()) if path.exists() else {'rows': {}}
        env = dict(date=datetime.date.today().isoformat(), torch=torch.__version__, threads=torch.get_num_threads(),
                   cores=os.cpu_count(), load_average=round(os.getloadavg()[0], 2), device=a.device, dtype=a.dtype, kind=a.kind)
        for r in records: data['rows'][f"{r['model']} [{a.device}, {a.dtype}]"] = r | env
        path.write_text(json.dumps(data, indent=1) + '\n')


if __name__ == '__main__':
    main()
