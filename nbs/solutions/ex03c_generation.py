"Reference solutions to the exercises of chapter 03c (sampling and generation)."
import torch


def ex1(model, ids, n):
    "Prefill the prompt, then n times: argmax, step."
    out = []
    with torch.no_grad():
        logits, state = model.prefill(torch.tensor([ids]))            # (1, V)
        for _ in range(n):
            tok = int(logits[0].argmax())
            out.append(tok)
            logits, state = model.step(torch.tensor([tok]), state)
    return out


def ex2(logits, k):
    "Keep the k largest logits (k = 0: all), softmax: the kept probabilities grow by 1 / (their total mass)."
    z = logits.float()
    if 0 < k < z.shape[-1]: z = z.masked_fill(z < torch.topk(z, k).values[-1], float('-inf'))
    return torch.softmax(z, -1)
