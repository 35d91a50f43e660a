"Reference solutions to the exercises of chapter 04b (a same-size GPT)."
import math

import torch


def ex1(n_layer, n_embd, n_tokens, batch=1, bytes_per_number=2):
    "A KV cache holds a key and a value vector of n_embd numbers per layer, token and sequence."
    return 2 * n_layer * n_tokens * batch * n_embd * bytes_per_number


def ex2(q, K, V):
    "Attention of one new token: q (H, D), K, V (H, n, D) -> (H, D). 2nD multiply-adds per head, 2nC in all."
    scores = (K @ q[:, :, None])[..., 0] / math.sqrt(q.shape[-1])   # (H, n): q . k_i, nD multiply-adds per head
    alpha = torch.softmax(scores, dim=-1)                          # (H, n)
    return (alpha[:, None, :] @ V)[:, 0]                           # (H, D): sum_i alpha_i v_i, nD multiply-adds per head
