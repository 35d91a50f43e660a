"Reference solutions to the exercises of chapter 03 (the model)."


def ex1(config):
    "Five (C,) vectors per layer (att_x, aa, bb, pp, ffn_x): not V, not F, not the length of the text read."
    return 5 * config.n_embd * config.n_layer


def ex2(model, idx, P):
    "Read the first piece, then the rest from the state it left."
    _, state = model.prefill(idx[:, :P])
    return model.prefill(idx[:, P:], state)
