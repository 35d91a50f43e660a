"Reference solutions to the exercises of chapter 01 (time-mix)."
import math

import torch

from rwkv_zero.time_mix import WKVState


def ex1(time_decay):
    "Half-life d with e^{d w} = 1/2, w = -exp(time_decay): d = log 2 / exp(time_decay)."
    return math.log(2) / torch.exp(time_decay)


def ex2(state, w, u, kt, vt):
    "One step of the stable recurrence: output, then the update, each with its maximum subtracted."
    aa, bb, pp = state
    now = u + kt
    p = torch.maximum(pp, now)
    e_state, e_now = torch.exp(pp - p), torch.exp(now - p)
    y = (e_state * aa + e_now * vt) / (e_state * bb + e_now)
    decayed = w + pp
    p = torch.maximum(decayed, kt)
    e_state, e_new = torch.exp(decayed - p), torch.exp(kt - p)
    return y, WKVState(e_state * aa + e_new * vt, e_state * bb + e_new, p)


def ex3(w, u, k, v):
    "WKV with prefix sums: sum_{i<t} e^{(t-1-i)w + k_i} v_i = e^{(t-1)w} * sum_{i<t} e^{k_i - i w} v_i."
    T = k.shape[1]
    t = torch.arange(T, dtype=k.dtype)[:, None]                   # (T, 1)
    e = torch.exp(k - t * w)                                      # (B, T, C): e^{k_i - i w}
    A = torch.cumsum(e * v, dim=1) - e * v                        # exclusive prefix sums: i < t
    Bs = torch.cumsum(e, dim=1) - e
    f = torch.exp((t - 1) * w)                                    # (T, C): e^{(t-1) w}
    now = torch.exp(u + k)
    return (f * A + now * v) / (f * Bs + now)


def ex4(state, u, kt, vt):
    "d y_t / d u for one step: the current token's weight e enters num with v_t and den with 1, so dy = e (v_t - y) / den du."
    aa, bb, pp = state
    now = u + kt
    p = torch.maximum(pp, now)                                    # the common maximum: a constant for the derivative
    e_state, e_now = torch.exp(pp - p), torch.exp(now - p)
    den = e_state * bb + e_now
    y = (e_state * aa + e_now * vt) / den
    return e_now * (vt - y) / den
