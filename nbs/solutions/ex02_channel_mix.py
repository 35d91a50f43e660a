"Reference solutions to the exercises of chapter 02 (channel-mix)."
import torch


def ex1(cm, x_t, x_prev):
    "One token of channel-mix: mix with the previous input, squared ReLU, receptance gate. x_prev is zeros at the start."
    mk, mr = cm.time_mix_k.view(-1), cm.time_mix_r.view(-1)
    xk = x_t * mk + x_prev * (1 - mk)
    xr = x_t * mr + x_prev * (1 - mr)
    k = torch.relu(xk @ cm.key.weight.T) ** 2                     # (B, F)
    return torch.sigmoid(xr @ cm.receptance.weight.T) * (k @ cm.value.weight.T), x_t


def ex2(C, F):
    "Parameters: key F*C, value C*F, receptance C*C, two mixing vectors 2C. Multiply-adds: the three products."
    return 2 * F * C + C * C + 2 * C, 2 * F * C + C * C
