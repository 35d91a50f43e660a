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

    python bench/training.py --hf-memory          # peak training memory against transformers' RwkvForCausalLM

--hf-memory compares the peak memory of training with Hugging Face `transformers`' RwkvForCausalLM (not a
dependency of the package: install it to use this option) at C = --n-embd, V = --vocab, T = --hf-ctx-len,
B = --hf-batch, for each L in --hf-layers. Each row runs in a fresh child process with 1 thread: rwkv_zero (chunked
WKV, the CPU default; and the recurrent WKV) or transformers (the same weights, converted key by key; on a CPU it
runs its pure-PyTorch per-token WKV loop, `rwkv_linear_attention_cpu`, which the child checks is the one called).
The child builds the model, runs one forward + backward + gradient clipping at B=1, T=8 and one AdamW step on a
throwaway tensor (this loads the libraries: the first AdamW imports torch._dynamo, ~150 MB, which importing
transformers has already done; gradients then dropped), reads its peak RSS (VmHWM) as the baseline, then creates AdamW and runs 1 warm-up step and --steps timed
steps (forward, cross-entropy, backward, clipping, AdamW); the growth of the peak RSS over the baseline is reported
(activations, gradients, AdamW state and whatever the allocator keeps). The first step's loss must agree across rows.
"""
import argparse, functools, multiprocessing, os, platform, subprocess, sys, time
from pathlib import Path

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


HF_TRAIN_CHILD = r"""
import gc, sys, time, torch
import torch.nn.functional as F
root, which = sys.argv[1], sys.argv[2]
L, C, V, T, B, warmup, steps = (int(a) for a in sys.argv[3:10])
sys.path[:0] = [root, root + '/bench']
torch.set_num_threads(1)
from inference import peak_rss, to_transformers
from rwkv_zero.model import RWKV, RWKVConfig, randomize_weights_
from rwkv_zero.training import TrainConfig, make_optimizer
m = randomize_weights_(RWKV(RWKVConfig(vocab_size=V, n_layer=L, n_embd=C, wkv='recurrent' if which == 'recurrent' else 'chunked'),
                            init_weights=False), seed=0)
if which == 'hf':
    import transformers.models.rwkv.modeling_rwkv as hf_rwkv
    m = to_transformers(m, context_length=T)
    assert hf_rwkv.rwkv_cuda_kernel is None, 'the CUDA WKV kernel of transformers is loaded'
    calls, cpu_wkv = [0], hf_rwkv.rwkv_linear_attention_cpu
    def counted(*a, **k): calls[0] += 1; return cpu_wkv(*a, **k)
    hf_rwkv.rwkv_linear_attention_cpu = counted        # looked up by name at each call: counts that the CPU loop runs
    fwd = lambda x: m(x, use_cache=False).logits
else:
    fwd = m
m.train()
g = torch.Generator().manual_seed(0)
x, y = (torch.randint(0, V, (B, T), generator=g) for _ in range(2))
F.cross_entropy(fwd(x[:1, :8]).flatten(0, 1), y[:1, :8].flatten()).backward()    # libraries and allocator warmed up
torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
dummy = torch.zeros(4, requires_grad=True); dummy.grad = torch.ones(4)
torch.optim.AdamW([dummy]).step()          # the first AdamW imports torch._dynamo (~150 MB) unless transformers did already
m.zero_grad(set_to_none=True); del dummy; gc.collect()
base = peak_rss()
opt = make_optimizer(m, TrainConfig(lr=1e-4))
def step():
    loss = F.cross_entropy(fwd(x).flatten(0, 1), y.flatten())
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    return loss.item()
first = step()
for _ in range(warmup - 1): step()
t0 = time.perf_counter()
for _ in range(steps): step()
sec = time.perf_counter() - t0
if which == 'hf': assert calls[0] == L * (1 + warmup + steps), calls     # every block, every forward: the CPU loop
print(peak_rss() - base, base, sec, repr(first))
"""


def train_memory(which, L, C, V, T, B, warmup, steps):
    """(peak RSS growth in bytes, baseline in bytes, seconds of the timed steps, first loss) of training 'chunked',
    'recurrent' (rwkv_zero) or 'hf' (transformers), in a fresh process."""
    res = subprocess.run([sys.executable, '-c', HF_TRAIN_CHILD, str(Path(__file__).resolve().parents[1]), which,
                          *map(str, (L, C, V, T, B, warmup, steps))], capture_output=True, text=True)
    if res.returncode: raise RuntimeError(f'{which} L={L} failed:\n{res.stderr[-3000:]}')
    grow, base, sec, loss = res.stdout.split()
    return int(grow), int(base), float(sec), float(loss)


def hf_memory_table(args):
    "Peak training memory of rwkv_zero against transformers' RwkvForCausalLM, a markdown table (see the docstring)."
    import transformers
    C, V, T, B = args.n_embd, args.vocab, args.hf_ctx_len, args.hf_batch
    print(f'torch {torch.__version__}, transformers {transformers.__version__}, 1 thread per child, '
          f'load average {os.getloadavg()[0]:.1f} at start')
    print(f'C={C}, V={V}, T={T}, B={B}; a fresh process per row; peak RSS growth over the baseline (see the docstring); '
          f'1 warm-up + {args.steps} timed steps\n')
    print('| L | implementation | peak growth MB | vs transformers | tokens/s | first loss | baseline MB |')
    print('|---:|---|---:|---:|---:|---:|---:|')
    for L in args.hf_layers:
        rows = {w: train_memory(w, L, C, V, T, B, 1, args.steps) for w in ('hf', 'chunked', 'recurrent')}
        ref = rows['hf']
        for w, name in [('chunked', 'rwkv_zero, chunked WKV (default)'), ('recurrent', "rwkv_zero, wkv='recurrent'"),
                        ('hf', 'transformers RwkvForCausalLM (CPU loop)')]:
            grow, base, sec, loss = rows[w]
            rel = abs(loss - ref[3]) / abs(ref[3])
            assert rel < 1e-4, f'L={L}: first loss {loss} ({w}) against {ref[3]} (transformers): relative difference {rel:.1e}'
            print(f'| {L} | {name} | {grow / 1e6:.1f} | {grow / ref[0]:.2f}x | {B * T * args.steps / sec:,.0f} | {loss:.6f} | {base / 1e6:.0f} |')
    print(f'\nload average {os.getloadavg()[0]:.1f} at the end')


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
    p.add_argument('--hf-memory', action='store_true', help="compare training peak memory with transformers' RwkvForCausalLM instead")
    p.add_argument('--hf-layers', type=int, nargs='+', default=[2, 4], help='L values for --hf-memory')
    p.add_argument('--hf-ctx-len', type=int, default=128, help='T for --hf-memory')
    p.add_argument('--hf-batch', type=int, default=8, help='B for --hf-memory')
    args = p.parse_args()
    if args.threads: return thread_sweep(args)
    if args.hf_memory: return hf_memory_table(args)

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
