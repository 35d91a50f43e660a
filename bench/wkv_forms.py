"""Forward + backward time of the WKV forms of `rwkv_zero.time_mix` on the CPU.

Prints one table per shape: milliseconds (best of `--reps`) and the ratio to `wkv_recurrent` measured in the same
run (ratio < 1: faster than the recurrence). Usage: `python bench/wkv_forms.py [--reps 3] [--threads N]`.
"""
import argparse, time
import torch
from rwkv_zero.time_mix import wkv_recurrent, wkv_parallel, wkv_chunked

def fwd_bwd_ms(fn, B, T, C, reps):
    g = torch.Generator().manual_seed(0)
    w = -torch.exp(torch.rand(C, generator=g) * 8 - 5)
    u, k, v = torch.randn(C, generator=g), torch.randn(B, T, C, generator=g), torch.randn(B, T, C, generator=g)
    best = float('inf')
    for _ in range(reps):
        ins = [t.clone().requires_grad_() for t in (w, u, k, v)]
        t0 = time.perf_counter()
        out = fn(*ins)
        (out[0] if isinstance(out, tuple) else out).square().sum().backward()
        best = min(best, time.perf_counter() - t0)
    return best * 1000

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--threads', type=int, default=None)
    args = ap.parse_args()
    if args.threads: torch.set_num_threads(args.threads)
    forms = {'recurrent': wkv_recurrent, 'parallel': wkv_parallel}
    forms.update({f'chunked({L})': (lambda L: lambda *a: wkv_chunked(*a, chunk_len=L))(L) for L in (8, 16, 32, 64)})
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, float32, forward + backward, best of {args.reps}')
    for B, T, C in [(8, 128, 128), (4, 512, 64)]:
        print(f'\nB={B} T={T} C={C}')
        print(f'{"form":14s} {"ms":>9s} {"vs recurrent":>13s}')
        ref = None
        for name, fn in forms.items():
            ms = fwd_bwd_ms(fn, B, T, C, args.reps)
            ref = ref or ms
            print(f'{name:14s} {ms:9.1f} {ms / ref:13.2f}')

if __name__ == '__main__': main()
