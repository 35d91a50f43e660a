"Reference solutions for chapter 09 (nbs/09_recall.ipynb): try the exercises first."
import torch

from rwkv_zero.recall import mqar, query_distances


def ex1(n: int = 200, seed: int = 0) -> float:
    "Fraction of MQAR answers (T=32, 8 pairs, 4 asked, announced first) whose key is among the first 4 tokens."
    x, y = mqar(n, 32, 8, 64, n_queries=4, question='before', generator=torch.Generator().manual_seed(seed))
    hit = total = 0
    for xr, yr in zip(x, y):
        for t in (yr != -100).nonzero().flatten().tolist():
            hit += bool((xr[:4] == xr[t]).any()); total += 1
    return hit / total


def ex2(T: int) -> float:
    "GPT KV cache (2 layers x 2 x C x T numbers) over RWKV-4 state (2 layers x 5 C) at width 64."
    C, L = 64, 2
    return (L * 2 * C * T) / (L * 5 * C)


def ex3(seq_len: int, n_pairs: int) -> float:
    "Mean pair-to-query distance over 500 MQAR rows (seed 0, vocabulary 64)."
    x, y = mqar(500, seq_len, n_pairs, 64, generator=torch.Generator().manual_seed(0))
    return query_distances(x, y).double().mean().item()
