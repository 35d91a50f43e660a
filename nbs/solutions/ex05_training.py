"Reference solutions to the exercises of chapter 05 (training)."
from rwkv_zero.training import LR_SCALE


def ex1(names, lr: float) -> dict:
    "The peak learning rate of each parameter name: time_decay 2x, time_first 3x, everything else 1x."
    return {n: lr * LR_SCALE.get(n.rsplit('.', 1)[-1], 1.0) for n in names}


def ex2(threshold: float):
    "A train() callback that stops the run (as Ctrl-C would) after the first step whose training loss is below `threshold`."
    def callback(result):
        if result.losses and result.losses[-1] < threshold: raise KeyboardInterrupt
    return callback
