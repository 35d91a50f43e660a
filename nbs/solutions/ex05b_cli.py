"Reference solutions to the exercises of chapter 05b (command line)."
import argparse, json, math
from pathlib import Path


def ex1(text: str) -> float:
    "A time budget like '90s', '2m' or '1.5m' in seconds; a clear argparse error otherwise."
    units = {'s': 1, 'm': 60, 'h': 3600}
    try: value, unit = float(text[:-1]), units[text[-1:]]
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a time like 90s, 2m or 1.5h") from None
    if not (value > 0 and math.isfinite(value)): raise argparse.ArgumentTypeError(f"{text!r} is not a positive time")
    return value * unit


def ex2(run_dir) -> str:
    "One line about a run folder, from its run.json; ValueError naming what is missing."
    info = json.loads((Path(run_dir)/'run.json').read_text(encoding='utf-8'))
    missing = [k for k in ('status', 'step', 'val_loss', 'unigram_loss') if k not in info]
    if missing: raise ValueError(f"{run_dir}/run.json has no {', '.join(missing)}")
    val = 'n/a' if info['val_loss'] is None else f"{info['val_loss']:.3f}"
    return f"step {info['step']}: validation {val} vs unigram {info['unigram_loss']:.3f} ({info['status']})"
