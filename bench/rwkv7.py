"""RWKV-7 speed on the CPU: rwkv_zero's `RWKV7` against the official `rwkv` package (x070), and the chunked WKV-7
against the recurrent loop in training, ratios measured in one run.

    python bench/rwkv7.py                       # L=6, C=512, head 64, V=65536, prompt 256, 2 threads
    python bench/rwkv7.py --threads 1 --repeats 7

Inference (same random weights, float32, batch 1):
  - RNN mode: tokens/s generating one token at a time from a state (the chapter's `model.step`, and `FastRNN7`,
    the prepared form `fast_rnn(model)` that generation uses, vs the official `forward([t], state)`);
  - prefill: tokens/s reading a prompt of --prompt tokens, last token's logits only (`model.prefill`, and
    `FastRNN7.prefill` on the prepared weights, vs `forward(ids, None)`).
The official package runs RWKV-7 only with RWKV_V7_ON=1 set before import, which replaces its model class in the
whole process, so it runs in a child process that stays alive; the parent asks it for one timing round at a time,
so the two sides' repeats are interleaved (a busy machine slows both alike). Both use --threads threads.

Also a microbenchmark of the state times a vector per head, as a column and as a row times the transposed state
(FastRNN7 uses the row form).

Training: tokens/s of a forward + backward step of a small RWKV7 in GPT mode with the chunked WKV-7
(chapter 08's `wkv7_chunked`) against the same model with the recurrent loop (`wkv7_recurrent`), at each
--train-ctx-lens. Reported numbers are medians over --repeats interleaved rounds; ratio > 1 means rwkv_zero (or
the chunked form) is faster.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rwkv_zero.rwkv7 import RWKV7, RWKV7Config, randomize_rwkv7_, FastRNN7
from rwkv_zero.model import fast_rnn
from rwkv_zero.delta_rule import wkv7_chunked, wkv7_recurrent

OFFICIAL_SERVER = r'''
import os, sys, json, time
os.environ['RWKV_V7_ON'] = '1'; os.environ.setdefault('RWKV_JIT_ON', '1'); os.environ['RWKV_CUDA_ON'] = '0'
import torch
torch.set_num_threads(int(sys.argv[2]))
from rwkv.model import RWKV
model = RWKV(model=sys.argv[1], strategy='cpu fp32')
print('READY', flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    prompt, tokens = cmd['prompt'], cmd['tokens']
    with torch.no_grad():
        t0 = time.perf_counter(); logits, state = model.forward(list(prompt), None); t_prefill = time.perf_counter() - t0
        t0 = time.perf_counter()
        for t in tokens: logits, state = model.forward([t], state)
        t_rnn = time.perf_counter() - t0
    print(json.dumps(dict(prefill=t_prefill, rnn=t_rnn, last=float(logits[0]))), flush=True)
'''


class Official:
    "The official package in a child process that times one round per request."
    def __init__(self, path_no_pth, threads):
        env = {**os.environ, 'RWKV_V7_ON': '1'}
        self.p = subprocess.Popen([sys.executable, '-c', OFFICIAL_SERVER, str(path_no_pth), str(threads)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        while True:
            line = self.p.stdout.readline()
            if not line: raise RuntimeError(f'official package failed to start:\n{self.p.stderr.read()[-3000:]}')
            if line.startswith('READY'): break

    def round(self, prompt, tokens) -> dict:
        self.p.stdin.write(json.dumps(dict(prompt=prompt, tokens=tokens)) + '\n'); self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line: raise RuntimeError(f'official package died:\n{self.p.stderr.read()[-3000:]}')
        return json.loads(line)

    def close(self):
        self.p.stdin.close(); self.p.wait(timeout=60)


@torch.no_grad()
def ours_round(model, runner, prompt, tokens, runner16=None) -> dict:
    "One timing round of rwkv_zero: prefill, then RNN mode with the chapter's `step` and with `FastRNN7` (`runner`)."
    t0 = time.perf_counter(); logits, state0 = model.prefill(torch.tensor([prompt])); t_prefill = time.perf_counter() - t0
    out = dict(prefill=t_prefill)
    for name, r in (('prefill_fast', runner),) + ((('prefill_bf16', runner16),) if runner16 else ()):
        t0 = time.perf_counter(); r.prefill(torch.tensor([prompt])); out[name] = time.perf_counter() - t0
    for name, step in (('rnn', model.step), ('rnn_fast', runner.step)) + ((('rnn_bf16', runner16.step),) if runner16 else ()):
        state = state0
        t0 = time.perf_counter()
        for t in tokens: logits, state = step(torch.tensor([t]), state)
        out[name], out[{'rnn': 'last', 'rnn_fast': 'last_fast', 'rnn_bf16': 'last_bf16'}[name]] = time.perf_counter() - t0, float(logits[0, 0])
    return out


def train_step_time(model, x, y, wkv) -> float:
    t0 = time.perf_counter()
    h, _ = model._hidden(x, None, wkv)
    loss = F.cross_entropy(model.head(model.ln_out(h)).flatten(0, 1), y.flatten())
    model.zero_grad(set_to_none=True); loss.backward()
    return time.perf_counter() - t0


def state_products(H=8, N=64, batch=(1, 8), n=2000) -> None:
    "Microbenchmark: the state times a vector per head, as a column (S @ x) and as a row times the transposed state (x S^T)."
    print(f'\n## The state times a vector, {H} heads of {N} (FastRNN7 uses the row form), {torch.get_num_threads()} threads\n')
    print('| B | `bmm(S, x column)` µs | `bmm(x row, S^T)` µs | column / row |')
    print('|---:|---:|---:|---:|')
    for B in batch:
        S, x = torch.randn(B * H, N, N), torch.randn(B * H, N)
        forms = {'col': lambda: torch.bmm(S, x.view(-1, N, 1)), 'row': lambda: torch.bmm(x.view(-1, 1, N), S.transpose(1, 2))}
        assert torch.allclose(forms['col']().view(-1, N), forms['row']().view(-1, N), atol=1e-4)
        ts = {k: [] for k in forms}
        for _ in range(5):                                   # interleaved rounds, median
            for k, f in forms.items():
                f(); t0 = time.perf_counter()
                for _ in range(n): f()
                ts[k].append((time.perf_counter() - t0) / n * 1e6)
        c, r = statistics.median(ts['col']), statistics.median(ts['row'])
        print(f'| {B} | {c:.1f} | {r:.1f} | {c / r:.1f}x |')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n-layer', type=int, default=6); ap.add_argument('--n-embd', type=int, default=512)
    ap.add_argument('--head-size', type=int, default=64); ap.add_argument('--vocab', type=int, default=65536)
    ap.add_argument('--prompt', type=int, default=256, help='prompt length for prefill')
    ap.add_argument('--tokens', type=int, default=32, help='tokens generated one at a time in RNN mode')
    ap.add_argument('--repeats', type=int, default=5); ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--train-ctx-lens', type=int, nargs='+', default=[128, 512])
    ap.add_argument('--train-tokens', type=int, default=1024, help='tokens per training step (B = this / T)')
    ap.add_argument('--train-n-embd', type=int, default=256); ap.add_argument('--train-n-layer', type=int, default=2)
    ap.add_argument('--skip-official', action='store_true')
    ap.add_argument('--bf16', action='store_true', help="also time FastRNN7 with bf16 weights (what generate picks for big models on CPUs with bf16 instructions) against the official fp32")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f'# bench/rwkv7.py: torch {torch.__version__}, {args.threads} threads, medians of {args.repeats} interleaved rounds')

    # ---- inference against the official package
    cfg = RWKV7Config(vocab_size=args.vocab, n_layer=args.n_layer, n_embd=args.n_embd, head_size=args.head_size)
    model = randomize_rwkv7_(RWKV7(cfg, init_weights=False), seed=0).eval()
    g = torch.Generator().manual_seed(0)
    prompt = torch.randint(0, args.vocab, (args.prompt,), generator=g).tolist()
    tokens = torch.randint(0, args.vocab, (args.tokens,), generator=g).tolist()
    rows = {}
    with tempfile.TemporaryDirectory() as d:
        model.save_official(Path(d)/'m.pth')
        off = None if args.skip_official else Official(Path(d)/'m', args.threads)
        try:
            runner = fast_rnn(model, dtype=torch.float32)              # FastRNN7: weights prepared once (not timed)
            runner16 = FastRNN7(model, torch.bfloat16) if args.bf16 else None   # bf16 weights, float32 state
            ours_round(model, runner, prompt[:8], tokens[:2], runner16)  # warm-up
            if off: off.round(prompt[:8], tokens[:2])
            res = {'rwkv_zero': [], 'official': []}
            for _ in range(args.repeats):
                res['rwkv_zero'].append(ours_round(model, runner, prompt, tokens, runner16))
                if off: res['official'].append(off.round(prompt, tokens))
        finally:
            if off: off.close()
    med = lambda rs, k: statistics.median(r[k] for r in rs)
    ours = res['rwkv_zero']
    rows['rwkv_zero `step`'] = dict(rnn=args.tokens / med(ours, 'rnn'), prefill=args.prompt / med(ours, 'prefill'))
    rows['rwkv_zero `FastRNN7`'] = dict(rnn=args.tokens / med(ours, 'rnn_fast'), prefill=args.prompt / med(ours, 'prefill_fast'))
    if runner16: rows['rwkv_zero `FastRNN7` bf16 weights'] = dict(rnn=args.tokens / med(ours, 'rnn_bf16'), prefill=args.prompt / med(ours, 'prefill_bf16'))
    if off: rows['official'] = dict(rnn=args.tokens / med(res['official'], 'rnn'), prefill=args.prompt / med(res['official'], 'prefill'))
    fast_gap = abs(ours[-1]['last'] - ours[-1]['last_fast'])
    print(f'(FastRNN7 vs step: last logit differs by {fast_gap:.1e})')
    assert fast_gap < 1e-3, fast_gap
    if off:
        gap = abs(ours[-1]['last'] - res['official'][-1]['last'])
        print(f'(same weights: last logit differs by {gap:.1e})')
    print(f'\n## Inference: L={args.n_layer}, C={args.n_embd}, head {args.head_size}, V={args.vocab}, float32, batch 1\n')
    print('| | RNN mode tokens/s | prefill tokens/s (prompt %d) |' % args.prompt)
    print('|---|---:|---:|')
    for side, r in rows.items(): print(f"| {side} | {r['rnn']:,.1f} | " + ('-' if r['prefill'] != r['prefill'] else f"{r['prefill']:,.0f}") + " |")
    if 'official' in rows:
        o = rows['official']
        for side in [r for r in rows if r != 'official']:
            pre = rows[side]['prefill'] / o['prefill']
            print(f"| ratio {side} / official | {rows[side]['rnn'] / o['rnn']:.2f}x | " + ('-' if pre != pre else f'{pre:.2f}x') + ' |')

    state_products(H=args.n_embd // args.head_size, N=args.head_size)

    # ---- training: chunked against recurrent WKV-7
    tcfg = RWKV7Config(vocab_size=1024, n_layer=args.train_n_layer, n_embd=args.train_n_embd, head_size=min(args.head_size, args.train_n_embd))
    tm = randomize_rwkv7_(RWKV7(tcfg, init_weights=False), seed=1).train()
    forms = {'recurrent': wkv7_recurrent, 'chunked(16)': partial(wkv7_chunked, chunk_len=16),
             'chunked(32)': partial(wkv7_chunked, chunk_len=32)}
    print(f'\n## Training step (forward + backward), L={tcfg.n_layer}, C={tcfg.n_embd}, head {tcfg.head_size}, '
          f'V={tcfg.vocab_size}, {args.train_tokens} tokens per step\n')
    print('| T | B | ' + ' | '.join(f'{n} tokens/s' for n in forms) + ' | chunked(16) / recurrent | chunked(32) / recurrent |')
    print('|---:|---:|' + '---:|' * (len(forms) + 2))
    for T in args.train_ctx_lens:
        B = max(1, args.train_tokens // T)
        x = torch.randint(0, 1024, (B, T), generator=g); y = torch.randint(0, 1024, (B, T), generator=g)
        for wkv in forms.values(): train_step_time(tm, x, y, wkv)        # warm-up
        ts = {n: [] for n in forms}
        for _ in range(args.repeats):
            for n, wkv in forms.items(): ts[n].append(train_step_time(tm, x, y, wkv))
        tps = {n: B * T / statistics.median(v) for n, v in ts.items()}
        print(f'| {T} | {B} | ' + ' | '.join(f'{tps[n]:,.0f}' for n in forms) +
              f" | {tps['chunked(16)'] / tps['recurrent']:.1f}x | {tps['chunked(32)'] / tps['recurrent']:.1f}x |")


if __name__ == '__main__':
    main()
