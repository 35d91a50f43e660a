"Reference solutions to the exercises of chapter 04 (data)."
import math

import torch


def ex1(is_split, ctx_len):
    "Every s whose window of ctx_len + 1 tokens lies entirely in the split."
    m = is_split.tolist()
    return [s for s in range(len(m) - ctx_len) if all(m[s:s + ctx_len + 1])]


def ex2(train_tokens, val_tokens, vocab_size):
    "Add-one smoothed bigram cross-entropy (nats/token) on the consecutive pairs of val_tokens."
    tr, va = torch.as_tensor(train_tokens).flatten(), torch.as_tensor(val_tokens).flatten()
    counts = torch.zeros(vocab_size, vocab_size, dtype=torch.float64)
    counts.index_put_((tr[:-1], tr[1:]), torch.ones(len(tr) - 1, dtype=torch.float64), accumulate=True)
    logp = (counts + 1).log() - (counts.sum(1, keepdim=True) + vocab_size).log()
    return -logp[va[:-1], va[1:]].mean().item()
