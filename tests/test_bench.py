"""Smoke tests for the benchmarks in bench/: each script runs end to end at a tiny size, so an API change in the
package cannot silently break them. Speed is never asserted here (rule: speed lives in the benchmarks)."""
import subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    'tokenizer.py': ['--kb', '20', '--repeats', '1'],
    'blas.py': ['--repeats', '1'],
    'inference.py': ['--n-layer', '1', '--n-embd', '32', '--vocab', '256', '--prompt', '16', '--tokens', '4', '--repeats', '1',
                     '--bf16', '--batch', '2', '--memory', '64', '--piece', '16'],
    'training.py': ['--n-embd', '16', '--vocab', '64', '--ctx-lens', '16', '--tokens-per-step', '64', '--warmup', '1',
                    '--steps', '1', '--repeats', '1', '--chunk-lens', '8'],
    'generation_cost.py': ['--tokens', '32', '--n_layer', '1', '--n_embd', '32', '--vocab', '256'],
    'wkv_forms.py': ['--reps', '1'],
    'wkv_gpu.py': ['--interpret', '--B', '2', '--T', '16', '--C', '8', '--reps', '1'],
    'recall.py': ['--quick'],
    'rwkv7.py': ['--n-layer', '1', '--n-embd', '64', '--head-size', '32', '--vocab', '256', '--prompt', '16', '--tokens', '4',
                 '--repeats', '1', '--train-ctx-lens', '32', '--train-tokens', '64', '--train-n-embd', '64', '--train-n-layer', '1',
                 '--bf16'],
}

def test_every_bench_has_a_smoke_test():
    assert sorted(p.name for p in (ROOT/'bench').glob('*.py')) == sorted(TINY)

@pytest.mark.parametrize('script', sorted(TINY))
def test_bench_runs(script):
    res = subprocess.run([sys.executable, str(ROOT/'bench'/script), *TINY[script]], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert res.returncode == 0, f'{script} failed:\n{res.stdout[-2000:]}\n{res.stderr[-4000:]}'
    assert res.stdout.strip(), f'{script} printed nothing'
