"""The same products in three libraries: PyTorch's default kernels (MKL in its x86 wheels for float32), numpy's BLAS
(OpenBLAS in its wheels) and oneDNN with the weights packed in its blocked layout (chapter 03c's `PackedMatrix`),
for the shapes a World-sized RWKV meets (C=512, V=65536), in float32 and bf16, ratios measured in one run.

    python bench/blas.py                 # 1 thread
    python bench/blas.py --threads 2     # PyTorch on 2 threads; numpy's BLAS stays on 1, as FastRNN runs it

Each row multiplies x (rows, n_in) by enough distinct copies of an (n_in, n_out) matrix (64 MB in all) that every
product reads its weights from memory, as a step of a large model does; medians of --repeats interleaved rounds.
numpy's BLAS runs on one thread (threadpoolctl) whatever --threads says: chapter 03c explains why two thread pools
on the same cores are avoided. The results of the two libraries are compared too (max |difference| / std).
"""
import argparse, statistics, sys, time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rwkv_zero.model import blas_mm, numpy_blas, PackedMatrix, fast_weight

SHAPES = [  # (what, rows, n_in, n_out)
    ('C x C (r, k, v, output), batch 1', 1, 512, 512),
    ('C x 4C (FFN key), batch 1', 1, 512, 2048),
    ('4C x C (FFN value), batch 1', 1, 2048, 512),
    ('head C x V, batch 1', 1, 512, 65536),
    ('head C x V, batch 8', 8, 512, 65536),
    ('C x 4C, a prompt of 256 tokens', 256, 512, 2048),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--threads', type=int, default=1); ap.add_argument('--repeats', type=int, default=9)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    blas = numpy_blas()
    if blas is None: sys.exit("numpy's BLAS cannot be set to one thread here (numpy or threadpoolctl missing): nothing to compare")
    libs = ', '.join(f"{d['internal_api']} {d['version']}" for d in blas.info())
    torch_blas = 'MKL' if torch.backends.mkl.is_available() else 'its own BLAS'
    print(f'# bench/blas.py: torch {torch.__version__} ({torch_blas}) on {args.threads} threads; numpy\'s BLAS ({libs}) on 1; '
          f'medians of {args.repeats} interleaved rounds\n')
    print('| product | dtype | torch µs | numpy µs | oneDNN packed µs | torch / numpy | torch / packed | max diff / std |')
    print('|---|---|---:|---:|---:|---:|---:|---:|')
    g = torch.Generator().manual_seed(0)
    with torch.no_grad(), blas.limit(limits=1):
        for dt in (torch.float32, torch.bfloat16):
            for what, rows, n_in, n_out in SHAPES:
                n = min(64, max(1, int(64e6 // (n_in * n_out * 4))))      # distinct copies: 64 MB of float32 overflows the caches
                Ms = [fast_weight(torch.randn(n_out, n_in, generator=g), dt) for _ in range(n)]   # the order a runner uses
                Ps = [PackedMatrix.of(M) for M in Ms]
                x = torch.randn(rows, n_in, generator=g).to(dt)
                fns = {'torch': lambda: [x @ M for M in Ms]}
                if dt == torch.float32: fns['numpy'] = lambda: [blas_mm(x, M) for M in Ms]
                if Ps[0] is not None: fns['packed'] = lambda: [P.mm(x) for P in Ps]
                for f in fns.values(): f()                                  # warm-up
                ts = {k: [] for k in fns}
                for _ in range(args.repeats):
                    for k, f in fns.items():
                        t0 = time.perf_counter(); f(); ts[k].append((time.perf_counter() - t0) / n)
                t = {k: statistics.median(v) * 1e6 for k, v in ts.items()}
                ref = (x @ Ms[0]).float()
                outs = ([blas_mm(x, Ms[0])] if 'numpy' in t else []) + ([Ps[0].mm(x)] if 'packed' in t else [])
                diff = max([((ref - o.float()).abs().max() / ref.std()).item() for o in outs] or [0.0])
                cell = lambda k: f'{t[k]:,.0f}' if k in t else '-'
                ratio = lambda k: f"{t['torch'] / t[k]:.2f}x" if k in t else '-'
                print(f"| {what} | {str(dt)[6:]} | {cell('torch')} | {cell('numpy')} | {cell('packed')} | {ratio('numpy')} | "
                      f"{ratio('packed')} | {diff:.1e} |")

if __name__ == '__main__':
    main()
