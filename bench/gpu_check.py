"""GPU checks of the tracing engines, on the toy Mamba: on CUDA they agree with the CPU (resid, h, conv, delta; 10 samples),
and the peak CUDA memory of a trace does not grow with the number of samples (budget_mb=256; 1,000 and 20,000 samples).

    python bench/gpu_check.py bench/gpu_check.json      # on a machine with a CUDA GPU
"""
import json, sys, time, torch
from mamba_mediation.load import load_model
from mamba_mediation.trace import calculate_hidden_flow
from mamba_mediation.corrupt import Corruption
from mamba_mediation.ssm_state import trace_ssm_state
out = {'torch': torch.__version__, 'gpu': torch.cuda.get_device_name(0)}
P, S = 'The Eiffel Tower is located in the city of', 'Eiffel Tower'
corr = Corruption(k=3.0, sigma=0.15, seed=1)
res = {}
for dev in ('cpu', 'cuda'):
    mt = load_model('toy-mamba', device=dev)
    for kind in ('resid', 'h', 'conv', 'delta'):
        t = time.time()
        if kind == 'resid': r = calculate_hidden_flow(mt, P, S, samples=10, noise=corr)
        else: r = trace_ssm_state(mt, P, S, kind, samples=10, noise=corr)
        if dev == 'cuda': torch.cuda.synchronize()
        res[(dev, kind)] = (r.scores, r.low_score, r.high_score, time.time() - t)
out['agreement'] = {k: dict(max_abs_diff_scores=float(abs(res[('cpu', k)][0] - res[('cuda', k)][0]).max()),
                            low_cpu=res[('cpu', k)][1], low_cuda=res[('cuda', k)][1],
                            s_cpu=res[('cpu', k)][3], s_cuda=res[('cuda', k)][3]) for k in ('resid', 'h', 'conv', 'delta')}
print(json.dumps(out['agreement'], indent=1), flush=True)
mt = load_model('toy-mamba', device='cuda')
mem = {}
for kind in ('resid', 'h'):
    for n in (1000, 20000):
        torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
        t = time.time()
        if kind == 'resid': r = calculate_hidden_flow(mt, P, S, samples=n, noise=corr, budget_mb=256)
        else: r = trace_ssm_state(mt, P, S, kind, samples=n, noise=corr, budget_mb=256)
        torch.cuda.synchronize()
        mem[f'{kind} samples={n}'] = dict(peak_mb=torch.cuda.max_memory_allocated() / 2**20, seconds=time.time() - t,
                                         low_score=r.low_score)
        print(kind, n, mem[f'{kind} samples={n}'], flush=True)
out['memory_budget_256mb'] = mem
json.dump(out, open(sys.argv[1], 'w'), indent=1)
