"""Generation cost of RWKV (RNN mode) against a same-size GPT with and without a KV cache.

The RWKV-4 paper's linear-vs-quadratic inference figure, measured on this machine with
`rwkv_zero.gpt.measure_generation_cost` (see nbs/04b_gpt.ipynb). Random weights: speed and memory do not depend
on what a model has learned. Prints the table, the ratios GPT / RWKV measured in the same run, and the ratios the exact count
(`rwkv_token_cost`, `gpt_token_cost`: multiply-adds and bytes read per token) predicts for the cached GPT.

    python bench/generation_cost.py                  # 4096 tokens, 4 layers x 128, one thread (about a minute)
    python bench/generation_cost.py --tokens 1024 --n_embd 256 --batch 4 --threads 2
"""
import argparse, dataclasses, platform, statistics

import torch

from rwkv_zero.gpt import (GPT, gpt_config_like, gpt_n_params, rwkv_n_params, measure_generation_cost, generation_cost_table,
                           rwkv_token_cost, gpt_token_cost, attention_crossover)
from rwkv_zero.model import RWKV, RWKVConfig


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--tokens', type=int, default=4096)
    ap.add_argument('--n_layer', type=int, default=4)
    ap.add_argument('--n_embd', type=int, default=128)
    ap.add_argument('--vocab', type=int, default=512)
    ap.add_argument('--batch', type=int, default=1)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--nocache_every', type=int, default=32, help='time the no-cache GPT every N positions')
    a = ap.parse_args()
    torch.manual_seed(0)
    rcfg = RWKVConfig(vocab_size=a.vocab, n_layer=a.n_layer, n_embd=a.n_embd)
    gcfg = dataclasses.replace(gpt_config_like(rcfg, ctx_len=256), ctx_len=max(256, a.tokens))
    rwkv, gpt = RWKV(rcfg).eval(), GPT(gcfg).eval()
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {a.threads} thread(s), batch {a.batch}")
    print(f"RWKV {rwkv_n_params(rcfg):,} params; GPT {gpt_n_params(dataclasses.replace(gcfg, ctx_len=256)):,} params "
          f"(n_head={gcfg.n_head}, dim_ffn={gcfg.dim_ffn}, matched at ctx_len 256, position table extended to {gcfg.ctx_len})")
    res = measure_generation_cost(rwkv, gpt, n_tokens=a.tokens, batch_size=a.batch, nocache_every=a.nocache_every,
                                  num_threads=a.threads, progress=True)
    at = sorted({p for p in (16, 64, 256, 512, 1024, 2048, 4096, a.tokens - 1) if p < a.tokens})
    print(generation_cost_table(res, at))
    print(f'\nratios GPT / RWKV at the same position (same run); counted: GPT+KV / RWKV per token from the exact count '
          f"(attention overtakes a layer's weights at n = 2C + F' = {attention_crossover(gcfg)} keys)")
    print(f"{'pos':>5} | {'ms/token: GPT+KV':>16} {'GPT':>7} | {'cumulative: GPT+KV':>18} {'GPT':>7} | {'bytes: KV/state':>15} | "
          f"{'counted MACs':>12} {'bytes':>6}")
    for p in at:
        lo = max(0, p - 8)
        med = lambda xs: statistics.median(xs[lo:p + 1])
        pts = list(zip(res['nocache_position'], res['gpt_nocache_ms']))
        near = [x for q, x in pts if lo <= q <= p] or [min(pts, key=lambda qx: abs(qx[0] - p))[1]]
        r = med(res['rwkv_ms'])
        print(f"{p:>5} | {med(res['gpt_kv_ms']) / r:>16.2f} {statistics.median(near) / r:>7.1f} | "
              f"{res['gpt_kv_cum_s'][p] / res['rwkv_cum_s'][p]:>18.2f} {res['gpt_nocache_cum_s'][p] / res['rwkv_cum_s'][p]:>7.1f} | "
              f"{res['kv_cache_bytes'][p] / res['rwkv_state_bytes'][p]:>15.1f} | "
              f"{gpt_token_cost(gcfg, p)['macs'] / rwkv_token_cost(rcfg)['macs']:>12.2f} "
              f"{gpt_token_cost(gcfg, p)['bytes'] / rwkv_token_cost(rcfg)['bytes']:>6.2f}")
    if a.nocache_every > 1: print(f"(no-cache GPT timed every {a.nocache_every} positions; its cumulative time is interpolated)")


if __name__ == '__main__':
    main()
