"""Training throughput of a small RWKV on the CPU: the chunked WKV (the model's default) against the plain
recurrent loop (`wkv_recurrent`), measured in the same run.

One "step" is what `rwkv_zero.training.train` does per batch: forward, cross-entropy, backward, gradient
clipping and an AdamW update. Each variant gets warm-up steps, then the best of N timed repeats (the best, not
the mean: on a shared machine the noise only ever adds time).

    python bench/training.py                      # L=2, C=128, V=512; T = 64, 128, 512 at 1024 tokens per step
    python bench/training.py --n-embd 256 --ctx-lens 256 1024 --tokens-per-step 2048
    python bench/training.py --threads 1 2 4      # tokens/s against torch's thread count, for the course's model sizes
    python bench/training.py --threads 1 2 --busy 1   # the same while a spinning process holds one core

The thread sweep trains each size in `--sizes` (LxC; default: the `rwkv-zero train` default 2x64, the `demo` 3x96
and this benchmark's 2x128) with the model's default WKV at T = 64, B = tokens-per-step / T, and prints tokens/s for
every `--threads` value with the ratio to the first one.
"""
import argparse, functools, multiprocessing, os, platform, time

import torch
import torch.nn.functional as F

from rwkv_zero.model import RWKV, RWKVConfig
from rwkv_zero.time_mix import wkv_chunked, wkv_recurrent
from rwkv_zero.training import TrainConfig, make_optimizer


def make_model(args, wkv):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = RWKV(RWKVConfig(vocab_size=args.vocab, n_layer=args.n_layer, n_embd=args.n_embd))
    for block in model.blocks: block.att.wkv = wkv
    return model


def time_steps(model, x, y, n_steps):
    "Seconds for `n_steps` full training steps on the batch (x, y)."
    opt = make_optimizer(model, TrainConfig(lr=1e-4))
    t0 = time.perf_counter()
    for _ in range(n_steps):
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return time.perf_counter() - t0


def _spin(stop):
    "Hold one core busy until `stop` is set (the other process of the thread sweep)."
    x = 0
    while not stop.is_set():
        for _ in range(100_000): x += 1


def thread_sweep(args):
    "tokens/s of a default training step for each model size and torch thread count."
    stop, busy = multiprocessing.Event(), []
    for _ in range(args.busy):
        busy.append(multiprocessing.Process(target=_spin, args=(stop,), daemon=True)); busy[-1].start()
    try:
        load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
        print(f'torch {torch.__version__}, {os.cpu_count()} logical CPUs, {platform.processor() or platform.machine()}; '
              f'{args.busy} spinning process(es); load average {load:.1f} at start')
        T = 64
        B = max(1, args.tokens_per_step // T)
        print(f'T={T}, B={B}, V={args.vocab}; best of {args.repeats} x {args.steps} steps after {args.warmup} warm-up steps\n')
        print(f"{'model':>7}{'threads':>9}{'ms/step':>10}{'tokens/s':>11}{'vs ' + str(args.threads[0]) + ' thread(s)':>16}")
        old = torch.get_num_threads()
        for size in args.sizes:
            L, C = (int(n) for n in size.lower().split('x'))
            a = argparse.Namespace(**{**vars(args), 'n_layer': L, 'n_embd': C})
            g = torch.Generator().manual_seed(0)
            x, y = (torch.randint(0, args.vocab, (B, T), generator=g) for _ in range(2))
            first = None
            for n in args.threads:
                torch.set_num_threads(n)
                model = make_model(a, functools.partial(wkv_chunked, chunk_len=RWKVConfig.chunk_len))
                time_steps(model, x, y, args.warmup)
                sec = min(time_steps(model, x, y, args.steps) for _ in range(args.repeats)) / args.steps
                tps = B * T / sec
                first = first or tps
                print(f'{size:>7}{n:>9}{sec * 1e3:>10.1f}{tps:>11,.0f}{tps / first:>15.2f}x')
        torch.set_num_threads(old)
    finally:
        stop.set()
        for p in busy: p.join(timeout=5)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--n-layer', type=int, default=2)
    p.add_argument('--n-embd', type=int, default=128)
    p.add_argument('--vocab', type=int, default=512)
    p.add_argument('--ctx-lens', type=int, nargs='+', default=[64, 128, 512], help='context lengths T to measure')
    p.add_argument('--tokens-per-step', type=int, default=1024, help='B = tokens-per-step // T')
    p.add_argument('--warmup', type=int, default=2, help='untimed steps per variant')
    p.add_argument('--steps', type=int, default=3, help='steps per timed repeat')
    p.add_argument('--repeats', type=int, default=5, help='timed repeats; the best counts')
    p.add_argument('--chunk-lens', type=int, nargs='+', default=[8, 16, 32], help='chunk lengths of wkv_chunked to measure')
    p.add_argument('--threads', type=int, nargs='+', help='sweep torch thread counts instead (see the docstring)')
    p.add_argument('--sizes', nargs='+', default=['2x64', '3x96', '2x128'], help='LxC model sizes for the thread sweep')
    p.add_argument('--busy', type=int, default=0, help='spinning processes to hold cores during the thread sweep')
    args = p.parse_args()
    if args.threads: return thread_sweep(args)

    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}')
    print(f'model L={args.n_layer} C={args.n_embd} V={args.vocab}; {args.tokens_per_step} tokens per step; '
          f'best of {args.repeats} x {args.steps} steps after {args.warmup} warm-up steps\n')
    print(f"{'T':>5}{'B':>4}  {'WKV form':<30}{'ms/step':>9}{'tokens/s':>11}{'vs recurrent':>14}")
    for T in args.ctx_lens:
        B = max(1, args.tokens_per_step // T)
        g = torch.Generator().manual_seed(0)
        x = torch.randint(0, args.vocab, (B, T), generator=g)
        y = torch.randint(0, args.vocab, (B, T), generator=g)
        rows = []
        default = RWKVConfig.chunk_len                     # the dataclass field's default
        forms = [('wkv_recurrent (reference)', wkv_recurrent)] + [
            (f'wkv_chunked, chunk {L}' + (' (default)' if L == default else ''), functools.partial(wkv_chunked, chunk_len=L))
            for L in args.chunk_lens]
        for name, wkv in forms:
            model = make_model(args, wkv)
            time_steps(model, x, y, args.warmup)
            best = min(time_steps(model, x, y, args.steps) for _ in range(args.repeats))
            rows.append((name, best / args.steps, B * T / (best / args.steps)))
        for name, sec, tps in rows:
            print(f'{T:>5}{B:>4}  {name:<30}{sec * 1e3:>9.1f}{tps:>11,.0f}{tps / rows[0][2]:>13.2f}x')

if __name__ == '__main__':
    main()
