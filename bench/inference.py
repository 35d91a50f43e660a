"""CPU inference speed of rwkv_zero against the official `rwkv` package, on the same random weights, in one run.

    python bench/inference.py                      # L=6, C=512, V=65536, float32, prompt of 256 tokens
    python bench/inference.py --n-layer 12 --n-embd 768 --prompt 512 --tokens 64 --repeats 5

Measures, for both implementations:
  - RNN mode: tokens/s generating one token at a time (batch 1), from a state;
  - GPT-mode prefill: tokens/s reading a prompt of --prompt tokens (only the last token's logits, as both
    packages do when reading a prompt);
and prints their ratios (rwkv_zero / official; > 1 means rwkv_zero is faster). RNN mode is timed for the plain
`RWKV.step`, for chapter 03c's `FastRNN` in float32 (and with --compile its step under torch.compile) and (where --bf16) in bfloat16 against the official `cpu bf16`,
and batched (--batch prompts at once, `FastRNN`). --memory adds the peak memory of a long prefill in one pass
against `prefill_in_pieces` (each in a fresh child process). Timings are medians of --repeats interleaved rounds. It also measures the memory
bandwidth with a large tensor copy (and a large read) and prints the floor of RNN mode: each token reads every
weight matrix once, so tokens/s <= bandwidth / bytes of weights. Diagnostic rows show GPT-mode prefill with other
WKV forms (chapter 01's recurrent loop and chunked form) and with no WKV at all (the ceiling any WKV could reach:
the rest of the pass alone). The machine may be shared: the load average is printed.
"""
import argparse, os, sys, tempfile, time
from pathlib import Path

os.environ.setdefault('RWKV_JIT_ON', '1')          # the official package reads this at import
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rwkv_zero.model import RWKV, RWKVConfig, randomize_weights_, FastRNN, bf16_native, prefill_in_pieces, prefill_last
from rwkv_zero.time_mix import WKVState, wkv_recurrent


def best_time(fn, repeats, warmup=1):
    "Best wall time of `fn()` over `repeats` runs, after `warmup` runs."
    for _ in range(warmup): fn()
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); best = min(best, time.perf_counter() - t0)
    return best


def best_times(fns: dict, repeats, warmup=1):
    "Median wall time of each function, the runs interleaved (a busy machine then slows all of them alike)."
    import statistics
    for f in fns.values():
        for _ in range(warmup): f()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, f in fns.items():
            t0 = time.perf_counter(); f(); times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(v) for name, v in times.items()}


MEM_CHILD = r"""
import resource, sys, torch
sys.path.insert(0, sys.argv[1])
from rwkv_zero.model import RWKV, RWKVConfig, randomize_weights_, prefill_in_pieces
C, T, piece = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(1)
def peak_rss():   # bytes; VmHWM belongs to this process's own memory map (ru_maxrss would start at the parent's peak)
    try: return int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) * 1024
    except OSError: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
m = randomize_weights_(RWKV(RWKVConfig(vocab_size=256, n_layer=2, n_embd=C), init_weights=False)).eval()
idx = torch.randint(0, 256, (1, T), generator=torch.Generator().manual_seed(0))
with torch.inference_mode():
    prefill_in_pieces(m, idx[:, :16], piece=16)              # warm-up: the allocator and libraries loaded
    base = peak_rss()
    logits, _ = prefill_in_pieces(m, idx, piece=piece) if piece else m.prefill(idx)
    peak = peak_rss()
print(peak - base, logits[0, :8].tolist())
"""


HF_CHILD = r"""
import sys, torch
sys.path[:0] = [sys.argv[1], sys.argv[1] + '/bench']
from inference import peak_rss, to_transformers
from rwkv_zero.model import RWKV, RWKVConfig, randomize_weights_, prefill_in_pieces
which, C, T, piece = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(1)
m = randomize_weights_(RWKV(RWKVConfig(vocab_size=256, n_layer=2, n_embd=C), init_weights=False)).eval()
idx = torch.randint(0, 256, (1, T), generator=torch.Generator().manual_seed(0))
if which == 'hf':
    h = to_transformers(m, context_length=T).eval()
    def run(idx, piece):
        state = None
        for i in range(0, idx.shape[1], piece or idx.shape[1]):
            out = h(idx[:, i:i + (piece or idx.shape[1])], state=state, use_cache=True)
            state = out.state
        return out.logits[:, -1]
else:
    def run(idx, piece): return prefill_in_pieces(m, idx, piece=piece or idx.shape[1])[0] if piece else m(idx)[:, -1]
with torch.inference_mode():
    run(idx[:, :16], 16)
    base = peak_rss()
    logits = run(idx, piece)
    peak = peak_rss()
print(peak - base, logits[0, :8].tolist())
"""


def peak_rss():
    "Peak resident memory of this process in bytes: VmHWM, this process's own (ru_maxrss of a forked child would start at the parent's peak)."
    try: return int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) * 1024
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


_HF_NAMES = [('emb.', 'rwkv.embeddings.'), ('blocks.', 'rwkv.blocks.'), ('ln_out.', 'rwkv.ln_out.'), ('.ln0.', '.pre_ln.'),
             ('.att.', '.attention.'), ('.ffn.', '.feed_forward.'), ('time_mix_k', 'time_mix_key'), ('time_mix_v', 'time_mix_value'),
             ('time_mix_r', 'time_mix_receptance')]

def to_transformers(model, context_length=1024):
    "Hugging Face `transformers`' RwkvForCausalLM holding the weights of rwkv_zero's RWKV-4 `model`, converted key by key."
    from transformers import RwkvConfig, RwkvForCausalLM
    cfg = model.config
    sd = {}
    for k, v in model.state_dict().items():
        for a, b in _HF_NAMES: k = k.replace(a, b)
        sd[k] = v.reshape(1, 1, -1) if 'time_mix' in k else v
    h = RwkvForCausalLM(RwkvConfig(vocab_size=cfg.vocab_size, hidden_size=cfg.n_embd, num_hidden_layers=cfg.n_layer,
                                   attention_hidden_size=cfg.n_embd, intermediate_size=cfg.dim_ffn, context_length=context_length,
                                   rescale_every=0, layer_norm_epsilon=1e-5))
    h.load_state_dict(sd)                                  # strict: every key matched
    return h


def hf_memory(which, C, T, piece):
    "Peak memory growth (bytes) of GPT-mode inference over T tokens, 'ours' or 'hf' (transformers), in a fresh process."
    import subprocess
    out = subprocess.run([sys.executable, '-c', HF_CHILD, str(Path(__file__).resolve().parents[1]), which, str(C), str(T), str(piece)],
                         capture_output=True, text=True, check=True).stdout.split(' ', 1)
    return int(out[0]), eval(out[1])


def prefill_memory(C, T, piece):
    "Peak memory growth (bytes) of a prefill of T tokens (one pass if piece == 0), in a fresh process; and some logits."
    import subprocess
    out = subprocess.run([sys.executable, '-c', MEM_CHILD, str(Path(__file__).resolve().parents[1]), str(C), str(T), str(piece)],
                         capture_output=True, text=True, check=True).stdout.split(' ', 1)
    return int(out[0]), eval(out[1])


def memory_bandwidth(mbytes=512, repeats=5):
    "Bytes/s of a large tensor copy (read + write counted) and of a large read (a sum), best of `repeats`."
    a = torch.ones(mbytes * 2**20 // 4, dtype=torch.float32)
    b = torch.empty_like(a)
    nbytes = a.numel() * a.element_size()
    t_copy = best_time(lambda: b.copy_(a), repeats)
    t_read = best_time(lambda: a.sum(), repeats)
    return 2 * nbytes / t_copy, nbytes / t_read


def bytes_per_token(model):
    "Bytes of weights read to generate one token in RNN mode: all matrices but the embedding, one embedding row."
    n = 0
    for name, p in model.named_parameters():
        n += (p.shape[1] if name == 'emb.weight' else p.numel()) * p.element_size()
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n-layer', type=int, default=6)
    ap.add_argument('--n-embd', type=int, default=512)
    ap.add_argument('--vocab', type=int, default=65536)
    ap.add_argument('--prompt', type=int, default=256, help='prompt length for the prefill timing')
    ap.add_argument('--tokens', type=int, default=32, help='tokens per RNN-mode timing run')
    ap.add_argument('--repeats', type=int, default=5, help='best of N')
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0: leave the default)')
    ap.add_argument('--no-official', action='store_true', help='time rwkv_zero only')
    ap.add_argument('--bf16', action='store_true', help='also time bfloat16 weights (FastRNN and the official cpu bf16)')
    ap.add_argument('--batch', type=int, default=8, help='prompts generated at once for the batched row (0: skip)')
    ap.add_argument('--memory', type=int, default=0, metavar='T', help='also measure prefill peak memory at T tokens (0: skip)')
    ap.add_argument('--piece', type=int, default=1024, help='piece length for the --memory comparison')
    ap.add_argument('--hf', type=int, default=0, metavar='T', help="also compare GPT-mode inference memory with transformers' "
                    'RwkvForCausalLM at T/4 and T tokens (needs transformers; 0: skip)')
    ap.add_argument('--compile', action='store_true', help='also time torch.compile(FastRNN(model).step) (compiles for tens of seconds)')
    args = ap.parse_args()
    if args.threads: torch.set_num_threads(args.threads)

    cfg = RWKVConfig(vocab_size=args.vocab, n_layer=args.n_layer, n_embd=args.n_embd)
    model = randomize_weights_(RWKV(cfg, init_weights=False), seed=0).eval()
    print(f"config: {cfg}; float32; torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"bf16 instructions: {bf16_native()}; load average at start {os.getloadavg()[0]:.1f}")
    fast32 = FastRNN(model)
    fast16 = FastRNN(model, torch.bfloat16) if args.bf16 else None
    g = torch.Generator().manual_seed(0)
    prompt = torch.randint(0, cfg.vocab_size, (1, args.prompt), generator=g)
    gen = torch.randint(0, cfg.vocab_size, (args.tokens,), generator=g).tolist()

    off = None
    if not args.no_official:
        from rwkv.model import RWKV as OfficialRWKV
        with tempfile.TemporaryDirectory() as d:
            path = model.save_official(Path(d)/'bench.pth')
            off = OfficialRWKV(str(path), strategy='cpu fp32', verbose=False)
            off16 = OfficialRWKV(str(path), strategy='cpu bf16', verbose=False) if args.bf16 else None

    def no_wkv(w, u, k, v, state=None):                  # diagnostic only: a WKV that costs nothing
        return v, (state if state is not None else WKVState.fresh(k.shape[0], k.shape[2], device=k.device))

    with torch.inference_mode():
        _, state0 = model.prefill(prompt[:, :8])
        def ours_rnn():
            st = state0
            for t in gen: _, st = model.step(torch.tensor([t]), st)
        def runner_rnn(runner, st0):
            def f():
                st = st0
                for t in gen: _, st = runner.step(torch.tensor([t] * st0.batch_size), st)
            return f
        rnn = {'ours': ours_rnn, 'fast32': runner_rnn(fast32, state0)}
        if fast16 is not None: rnn['fast16'] = runner_rnn(fast16, state0)
        if args.batch: rnn['fast32_batch'] = runner_rnn(fast32, state0.repeat(args.batch))
        if args.compile:
            class Compiled: step = staticmethod(torch.compile(fast32.step, dynamic=False))
            t0 = time.perf_counter()
            st = state0
            for t in gen[:4]: _, st = Compiled.step(torch.tensor([t]), st)   # compiles (and settles its guards)
            print(f"torch.compile(FastRNN.step): first 4 steps took {time.perf_counter() - t0:.1f} s (compiling; "
                  f"a warm inductor cache makes this much shorter)")
            err_c = ((Compiled.step(torch.tensor([gen[0]]), state0)[0] - fast32.step(torch.tensor([gen[0]]), state0)[0]).abs().max()
                     / fast32.step(torch.tensor([gen[0]]), state0)[0].std()).item()
            print(f"compiled vs eager FastRNN: max |diff| / std = {err_c:.1e}")
            rnn['compiled32'] = runner_rnn(Compiled, state0)
        with torch.inference_mode():
            err_fast = max(((a - b).abs().max() / a.std()).item()
                           for a, b in [(model.step(torch.tensor([t]), state0)[0], fast32.step(torch.tensor([t]), state0)[0]) for t in gen[:4]])
        pre = {'ours': lambda: model.prefill(prompt),                       # the default on CPU: wkv_prefill
               'last': lambda: prefill_last(model, prompt),                 # the last block trimmed, the model's weights
               'fast32': lambda: fast32.prefill(prompt),                    # the same on the prepared weights
               **({'fast16': lambda: fast16.prefill(prompt)} if fast16 is not None else {}),   # bf16 products, state float32
               'ours_recurrent': lambda: model.prefill(prompt, wkv=wkv_recurrent),
               'ours_chunked': lambda: model.prefill(prompt, wkv=None),     # each block's att.wkv: chunked
               'ours_no_wkv': lambda: model.prefill(prompt, wkv=no_wkv)}    # the rest of the pass alone
        if off is not None:
            _, off_state0 = off.forward(prompt[0, :8].tolist(), None)
            def off_rnn():
                st = [s.clone() for s in off_state0]        # it replaces list entries: keep ours intact
                for t in gen: _, st = off.forward([t], st)
            rnn['official'] = off_rnn
            if off16 is not None:
                _, off16_state0 = off16.forward(prompt[0, :8].tolist(), None)
                def off16_rnn():
                    st = [s.clone() for s in off16_state0]
                    for t in gen: _, st = off16.forward([t], st)
                rnn['official_bf16'] = off16_rnn
            pre['official'] = lambda: off.forward(prompt[0].tolist(), None)
            if off16 is not None: pre['official_bf16'] = lambda: off16.forward(prompt[0].tolist(), None)
        t_rnn, t_pre = best_times(rnn, args.repeats), best_times(pre, args.repeats)
        if off is not None:
            ours_last, _ = model.prefill(prompt)
            off_last, _ = off.forward(prompt[0].tolist(), None)
            err = ((off_last - ours_last[0]).abs().max() / off_last.std()).item()
            print(f"same weights, same last logits after the prompt: max |diff| / std = {err:.1e}")
        fast_last, _ = fast32.prefill(prompt)
        print(f"FastRNN.prefill vs RWKV.prefill: max |diff| / std = "
              f"{((fast_last - model.prefill(prompt)[0]).abs().max() / fast_last.std()).item():.1e}")
        print(f"FastRNN float32 vs RWKV.step, first 4 steps: max |diff| / std = {err_fast:.1e}")
    load_end = os.getloadavg()[0]

    bw_copy, bw_read = memory_bandwidth()
    bw = max(bw_copy, bw_read)                             # the best rate at which this machine moved memory
    nbytes = bytes_per_token(model)
    floor = bw / nbytes
    ours_rnn_tps = args.tokens / t_rnn['ours']

    T = args.prompt
    nbytes16 = sum((p.shape[1] if n == 'emb.weight' else p.numel()) * 2 for n, p in model.named_parameters())
    floor16 = bw / nbytes16
    n = args.tokens
    rows = [('RNN mode, tokens/s (batch 1), RWKV.step', n / t_rnn['ours'], t_rnn.get('official')),
            ('RNN mode, FastRNN float32', n / t_rnn['fast32'], t_rnn.get('official'))]
    if 'compiled32' in t_rnn: rows += [('RNN mode, torch.compile(FastRNN.step)', n / t_rnn['compiled32'], t_rnn.get('official'))]
    if 'fast16' in t_rnn:
        rows += [('RNN mode, FastRNN bf16 vs official fp32', n / t_rnn['fast16'], t_rnn.get('official')),
                 ('RNN mode, FastRNN bf16 vs official bf16', n / t_rnn['fast16'], t_rnn.get('official_bf16'))]
    rows += [(f'GPT-mode prefill, tokens/s (T={T})', T / t_pre['ours'], t_pre.get('official')),
             ('  prefill_last (the last block trimmed)', T / t_pre['last'], t_pre.get('official')),
             ('  prefill, FastRNN float32', T / t_pre['fast32'], t_pre.get('official')),
            *([('  prefill, FastRNN bf16 vs official fp32', T / t_pre['fast16'], t_pre.get('official')),
               ('  prefill, FastRNN bf16 vs official bf16', T / t_pre['fast16'], t_pre.get('official_bf16'))] if 'fast16' in t_pre else []),
            ('  prefill, WKV = wkv_recurrent', T / t_pre['ours_recurrent'], t_pre.get('official')),
            ('  prefill, WKV = chunked (att.wkv)', T / t_pre['ours_chunked'], t_pre.get('official')),
            ('  prefill without any WKV (ceiling)', T / t_pre['ours_no_wkv'], t_pre.get('official'))]
    print()
    print(f"| {'measure':<40} | {'rwkv_zero':>10} | {'official':>10} | {'ratio':>6} |")
    print(f"|{'-'*42}|{'-'*12}|{'-'*12}|{'-'*8}|")
    for i, (name, ours, off_t) in enumerate(rows):
        if off_t is None: print(f"| {name:<40} | {ours:>10.1f} | {'-':>10} | {'-':>6} |"); continue
        theirs = (args.tokens if name.startswith('RNN') else T) / off_t
        print(f"| {name:<40} | {ours:>10.1f} | {theirs:>10.1f} | {ours / theirs:>5.2f}x |")
    print()
    print(f"memory bandwidth, 512 MiB: copy {bw_copy / 1e9:.1f} GB/s (read + write), read {bw_read / 1e9:.1f} GB/s (a sum)")
    print(f"weights read per RNN-mode token: {nbytes / 1e6:.1f} MB -> floor {nbytes / bw * 1e3:.1f} ms/token, "
          f"at most {floor:.1f} tokens/s; share of that floor reached: RWKV.step {ours_rnn_tps / floor:.0%}, "
          f"FastRNN float32 {n / t_rnn['fast32'] / floor:.0%}" +
          (f", official fp32 {n / t_rnn['official'] / floor:.0%}" if 'official' in t_rnn else ''))
    if 'fast16' in t_rnn:
        print(f"bf16 weights: {nbytes16 / 1e6:.1f} MB per token -> at most {floor16:.1f} tokens/s; share reached: "
              f"FastRNN bf16 {n / t_rnn['fast16'] / floor16:.0%}" +
              (f", official bf16 {n / t_rnn['official_bf16'] / floor16:.0%}" if 'official_bf16' in t_rnn else ''))
    if 'fast32_batch' in t_rnn:
        B = args.batch
        print(f"batched generation, FastRNN float32, B={B} prompts in RNN mode: {B * n / t_rnn['fast32_batch']:.1f} tokens/s "
              f"in all ({n / t_rnn['fast32_batch']:.1f} steps/s) against {n / t_rnn['fast32']:.1f} at B=1")
    if args.memory:
        m1, l1 = prefill_memory(args.n_embd, args.memory, 0)
        m2, l2 = prefill_memory(args.n_embd, args.memory, args.piece)
        d = max(abs(a - b) for a, b in zip(l1, l2))
        print(f"prefill of {args.memory} tokens (L=2, C={args.n_embd}, fresh process, 1 thread): peak memory growth "
              f"{m1 / 1e6:.0f} MB in one pass, {m2 / 1e6:.0f} MB in pieces of {args.piece}; max |logit diff| {d:.1e}")
    if args.hf:
        T2, T1 = args.hf, args.hf // 4
        print(f"GPT-mode inference without gradients, L=2, C={args.n_embd}, V=256 (fresh process each, 1 thread), "
              f"peak memory growth at {T1} and {T2} tokens, and per 1000 tokens:")
        ref = None
        for label, which, piece in [('rwkv_zero model(idx), one pass', 'ours', 0), (f'rwkv_zero prefill_in_pieces({args.piece})', 'ours', args.piece),
                                    ('transformers, one pass', 'hf', 0), (f'transformers, pieces of {args.piece}, state carried', 'hf', args.piece)]:
            (m1, _), (m2, lg) = hf_memory(which, args.n_embd, T1, piece), hf_memory(which, args.n_embd, T2, piece)
            ref = ref or lg
            d = max(abs(a - b) for a, b in zip(ref, lg))
            print(f"  {label:<42} {m1 / 1e6:7.0f} MB {m2 / 1e6:7.0f} MB   {(m2 - m1) / (T2 - T1) * 1000 / 1e6:6.1f} MB/1k tokens"
                  f"   last logits vs the first row: max |diff| {d:.1e}")
    print(f"load average: {os.getloadavg()[0]:.1f} at the end ({load_end:.1f} after the timings)")


if __name__ == '__main__':
    main()
