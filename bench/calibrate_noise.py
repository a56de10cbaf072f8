#!/usr/bin/env python
"""Calibrate the default noise of every shipped toy model (`corrupt.calibrate_noise` over the fact world's facts, one
prompt per fact, an even spread of 200 of those each model gets right) and write each model folder's
`noise_calibration.json`, which `corrupt.noise_level` reads.

    python bench/calibrate_noise.py [--models toy-mamba toy-gpt2 ...]
"""
import argparse, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import torch
from mamba_mediation.load import load_model, toy_model_path
from mamba_mediation.corrupt import calibrate_noise, save_calibration
from mamba_mediation.localize import world_facts

TOY = ('toy-mamba', 'toy-gpt2', 'toy-mamba-2l', 'toy-mamba-4l', 'toy-gpt2-2l', 'toy-gpt2-4l')

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--models', nargs='+', default=TOY)
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for name in a.models:
        mt = load_model(name, device='cpu')
        cal = calibrate_noise(mt, world_facts())
        print(save_calibration(cal, toy_model_path(name)), cal.summary(), flush=True)
