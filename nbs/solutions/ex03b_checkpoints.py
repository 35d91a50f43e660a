"Reference solutions to the exercises of chapter 03b (official checkpoints)."
import torch


def ex1(sd):
    "V and C from emb.weight (V, C); F from ffn.key.weight (F, C); L from the largest numbered block with a time_decay."
    V, C = sd['emb.weight'].shape
    F = sd['blocks.0.ffn.key.weight'].shape[0]
    L = 1 + max(int(k.split('.')[1]) for k in sd if k.startswith('blocks.') and k.endswith('.att.time_decay'))
    return dict(vocab_size=V, n_layer=L, n_embd=C, dim_ffn=F)


def ex2(path):
    "Load safely (tensors and plain containers only) and look at every dtype."
    sd = torch.load(path, map_location='cpu', weights_only=True)
    return bool(sd) and all(isinstance(t, torch.Tensor) and t.dtype == torch.bfloat16 for t in sd.values())
