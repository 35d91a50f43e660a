"""The WKV Triton kernel on a CUDA GPU: checked against float64 at training size, then timed.

1. Correctness at B=8, T=4096, C=4096 (fp32 and bf16; the interpreter and the GPU compiler can disagree):
   y, final state and all gradients against the float64 chunked form on the first 256 channels.
2. Forward (inference) and forward + backward times of `wkv_triton`, the PyTorch chunked form and the recurrent
   loop on the same GPU, each beside its memory-traffic floor: the bytes the kernel must read and write
   (`rwkv_zero.kernels.wkv_traffic_bytes`) over the copy bandwidth measured in the same run. Peak memory of
   forward + backward beside each.

Usage: `python bench/wkv_gpu.py [--B 8 --T 4096 --C 4096] [--reps 5]` after `pip install -e ".[triton]"`.
Without a CUDA GPU it prints one line and exits 0. `--interpret` runs the same code on the CPU in Triton's
interpreter (tiny sizes only: it is the smoke test of this script, its times mean nothing).
"""
import argparse, os, sys, time

def parse():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--B', type=int, default=8)
    ap.add_argument('--T', type=int, default=4096)
    ap.add_argument('--C', type=int, default=4096)
    ap.add_argument('--channels', type=int, default=256, help='channels compared with float64 in the correctness check')
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--chunk-len', type=int, default=8)
    ap.add_argument('--no-recurrent', action='store_true', help='skip the (slow) recurrent loop')
    ap.add_argument('--interpret', action='store_true', help="CPU, Triton's interpreter (tiny sizes only)")
    return ap.parse_args()

def main() -> int:
    args = parse()
    if args.interpret: os.environ['TRITON_INTERPRET'] = '1'        # before any kernel is built
    import torch
    from rwkv_zero.kernels import HAS_TRITON, wkv_triton, wkv_errors, wkv_traffic_bytes
    from rwkv_zero.time_mix import wkv_chunked, wkv_recurrent
    if not args.interpret and not torch.cuda.is_available():
        print('no CUDA GPU: skipping (run with --interpret for a tiny CPU check in the Triton interpreter)'); return 0
    if not HAS_TRITON:
        print('triton is not installed: skipping (Linux: pip install -e ".[triton]")'); return 0
    import triton
    dev = 'cpu' if args.interpret else 'cuda'
    cuda = dev == 'cuda'
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    B, T, C = args.B, args.T, args.C
    name = torch.cuda.get_device_name() if cuda else "CPU (Triton interpreter: times are meaningless)"
    print(f'{name}; torch {torch.__version__}, triton {triton.__version__}; B={B} T={T} C={C}')

    # 1. correctness at this size
    ok = True
    print(f'\ncorrectness: max |error| / max |float64 reference|, first {min(args.channels, C)} channels, carried state, random upstream gradients')
    for dtype, tol_y, tol_g in ((torch.float32, 1e-4, 1e-3), (torch.bfloat16, 2e-2, 2e-2)):
        errs = wkv_errors(B, T, C, dtype=dtype, device=dev, channels=args.channels)
        good = max(errs[n] for n in ('y', 'aa', 'bb', 'pp')) < tol_y and max(errs[n] for n in errs if n.startswith('d')) < tol_g
        ok &= good
        print(f'  {str(dtype):15s} {"ok  " if good else "FAIL"} (tolerance {tol_y:g} outputs, {tol_g:g} gradients): '
              + ' '.join(f'{k}={e:.1e}' for k, e in errs.items()))
    if cuda: torch.cuda.empty_cache()

    # 2. copy bandwidth: the floor's denominator
    def timed(fn, reps):
        fn(); sync()                                               # warm-up (compiles the kernels)
        best = float('inf')
        for _ in range(reps):
            t0 = time.perf_counter(); fn(); sync(); best = min(best, time.perf_counter() - t0)
        return best
    nbytes = (1 << 30) if cuda else (1 << 20)
    src = torch.empty(nbytes // 4, device=dev); dst = torch.empty_like(src)
    bw = 2 * nbytes / timed(lambda: dst.copy_(src), max(args.reps, 3))   # read + write
    del src, dst
    print(f'\ncopy bandwidth {bw / 1e9:.0f} GB/s (device-to-device copy of {nbytes >> 20} MiB, read + write)')

    # 3. times
    def fwd_bwd(fn, w, u, k, v):
        ins = [t.detach().requires_grad_() for t in (w, u, k, v)]
        y, s = fn(*ins)
        torch.autograd.backward([y, s.aa], [gy, torch.ones_like(s.aa)])
    forms = {'triton': wkv_triton, f'chunked({args.chunk_len})': lambda *a: wkv_chunked(*a, chunk_len=args.chunk_len)}
    if not args.no_recurrent: forms['recurrent'] = wkv_recurrent
    for dtype in (torch.float32, torch.bfloat16):
        g = torch.Generator(device=dev).manual_seed(0)
        w = -torch.exp(torch.rand(C, device=dev, generator=g) * 8 - 5)
        u = torch.randn(C, device=dev, generator=g)
        k, v = (torch.randn(B, T, C, device=dev, generator=g).to(dtype) for _ in range(2))
        gy = torch.randn(B, T, C, device=dev, generator=g).to(dtype)
        floor_f = wkv_traffic_bytes(B, T, C, dtype, 'forward') / bw
        floor_fb = (wkv_traffic_bytes(B, T, C, dtype, 'forward_train') + wkv_traffic_bytes(B, T, C, dtype, 'backward')) / bw
        print(f'\n{dtype}: floors (Triton kernel traffic / bandwidth) forward {floor_f * 1e3:.3f} ms, forward+backward {floor_fb * 1e3:.3f} ms')
        print(f'  {"form":12s} {"fwd ms":>9s} {"x floor":>8s} {"fwd+bwd ms":>11s} {"x floor":>8s} {"vs triton":>9s} {"peak GB":>8s}')
        t_ref = None
        for fname, fn in forms.items():
            reps = 1 if fname == 'recurrent' else args.reps
            try:
                with torch.no_grad(): tf = timed(lambda: fn(w, u, k, v), reps)
                if cuda: torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats(); base = torch.cuda.memory_allocated()
                tfb = timed(lambda: fwd_bwd(fn, w, u, k, v), reps)
                peak = (torch.cuda.max_memory_allocated() - base) / 1e9 if cuda else float('nan')
            except torch.cuda.OutOfMemoryError:
                print(f'  {fname:12s} out of memory'); torch.cuda.empty_cache(); continue
            t_ref = t_ref or tfb
            print(f'  {fname:12s} {tf * 1e3:9.3f} {tf / floor_f:8.2f} {tfb * 1e3:11.3f} {tfb / floor_fb:8.2f} {tfb / t_ref:9.2f} {peak:8.2f}')
        del k, v, gy
        if cuda: torch.cuda.empty_cache()
    print('\nx floor: time over the memory-traffic floor of the Triton kernel (aim: triton within 1.5); '
          'vs triton: forward+backward time over the kernel\'s')
    if not ok: print('correctness FAILED'); return 1
    return 0

if __name__ == '__main__': sys.exit(main())
