"""Associative recall (MQAR), copying and prompt order: GPT vs RWKV-4 vs RWKV-7 at matched parameter counts,
trained from scratch on a CPU, several seeds per setting. Writes every run to a JSON file (chapter 09 draws its
figures from it).

Stages, in order: `tune` (each model's peak learning rate, chosen from a small grid by validation accuracy on a
seed that is not reported), then `mqar` (accuracy against sequence length), `width` (RWKV-4 at other widths),
`copy` (accuracy against string length), `order` (question before vs after the content) and `budget` (one
setting with 4x the steps). Every process uses one thread; `--jobs` runs that many trainings side by side (default:
one per available core).

    python bench/recall.py                         # the full sweep -> data/recall_results.json
    python bench/recall.py --models rwkv7          # only these models; merged into the existing file
    python bench/recall.py --stages copy --jobs 1
    python bench/recall.py --quick                 # a smoke test: tiny sizes, a few steps, nothing written
"""
import argparse, datetime, json, multiprocessing as mp, os, platform, sys, time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]

FULL = dict(
    vocab=64, n_layer=2, n_embd=64, batch_size=32, steps=500, n_train=20000, n_val=500,
    seeds=[0, 1, 2],                                   # seeds of `mqar`
    seeds_small=[0, 1],                                # seeds of `width`, `copy`, `order` and `budget`
    lr_grid=[1e-3, 3e-3, 1e-2], tune_seed=100, tune_setting=(16, 4), tune_steps=500,
    mqar=[(16, 4), (32, 8), (64, 8), (128, 8)],        # (sequence length, pairs)
    width=dict(setting=(16, 4), widths=[32, 128]),     # RWKV-4 at other widths (64 comes from `mqar`)
    copy=dict(lengths=[4, 8, 16], n_symbols=16),
    order=[(24, 6, 3), (20, 4, 2)],                    # (T, pairs, keys asked); in 'before' the asked keys are announced first
    budget=dict(setting=(16, 4), steps=2000),          # a 4x budget at one setting: what more steps change
)
QUICK = dict(FULL, steps=4, seeds=[0], seeds_small=[0], n_train=256, n_val=64, lr_grid=[1e-3, 1e-2], tune_steps=4, tune_setting=(16, 2),
             mqar=[(16, 2)], width=dict(setting=(16, 2), widths=[32]), copy=dict(lengths=[4], n_symbols=16),
             order=[(16, 4, 2)], budget=dict(setting=(16, 2), steps=8))
STAGES = ('tune', 'mqar', 'width', 'copy', 'order', 'budget')


def run_job(job: dict) -> dict:
    "One training run, described by a plain dict (so it can cross into a worker process)."
    from rwkv_zero.recall import copy_data, mqar_data, run_one
    torch.set_num_threads(1)
    if job['task'] == 'mqar':
        data = mqar_data(job['n_train'], job['n_val'], seed=1000 + job['seed'], seq_len=job['seq_len'],
                         n_pairs=job['n_pairs'], vocab_size=job['vocab'], n_queries=job.get('n_queries'),
                         question=job.get('question', 'after'))
    else:
        data = copy_data(job['n_train'], job['n_val'], length=job['length'], n_symbols=job['n_symbols'], seed=1000 + job['seed'])
    from rwkv_zero.training import TrainingDiverged
    t0 = time.perf_counter()
    try:
        rec, _ = run_one(job['model'], data, job['steps'], seed=job['seed'], lr=job['lr'], batch_size=job['batch_size'],
                         n_layer=job['n_layer'], n_embd=job['n_embd'])
    except TrainingDiverged as e:          # a rate too high for this model: a result too (chance accuracy), not a crash
        rec = dict(accuracy=0.0, val_loss=float('inf'), diverged=str(e)[:200], seconds=round(time.perf_counter() - t0, 1))
    return {**job, **rec, 'wall_s': round(time.perf_counter() - t0, 1)}


def key(r: dict) -> tuple:
    return tuple(r.get(k) for k in ('stage', 'task', 'model', 'seed', 'seq_len', 'n_pairs', 'n_queries', 'question',
                                    'length', 'n_embd', 'lr'))


def jobs_for(stage: str, P: dict, models: list, lrs: dict) -> list:
    base = dict(stage=stage, vocab=P['vocab'], n_layer=P['n_layer'], n_embd=P['n_embd'], batch_size=P['batch_size'],
                steps=P['steps'], n_train=P['n_train'], n_val=P['n_val'])
    mq = lambda T, p, **kw: dict(base, task='mqar', seq_len=T, n_pairs=p, **kw)
    out = []
    if stage == 'tune':
        T, p = P['tune_setting']
        out = [mq(T, p, model=m, seed=P['tune_seed'], lr=lr, steps=P['tune_steps']) for m in models for lr in P['lr_grid']]
    elif stage == 'mqar':
        out = [mq(T, p, model=m, seed=s, lr=lrs[m]) for (T, p) in P['mqar'] for m in models for s in P['seeds']]
    elif stage == 'width' and 'rwkv4' in models:
        T, p = P['width']['setting']
        out = [mq(T, p, model='rwkv4', seed=s, lr=lrs['rwkv4'], n_embd=c) for c in P['width']['widths'] for s in P['seeds_small']]
    elif stage == 'copy':
        c = P['copy']
        out = [dict(base, task='copy', length=L, n_symbols=c['n_symbols'], model=m, seed=s, lr=lrs[m])
               for L in c['lengths'] for m in models for s in P['seeds_small']]
    elif stage == 'order':
        out = [mq(T, p, n_queries=q, question=qu, model=m, seed=s, lr=lrs[m])
               for (T, p, q) in P['order'] for qu in ('before', 'blank') for m in models for s in P['seeds_small']]
    elif stage == 'budget':
        (T, p), n = P['budget']['setting'], P['budget']['steps']
        out = [mq(T, p, model=m, seed=s, lr=lrs[m], steps=n) for m in models for s in P['seeds_small']]
    return out


def pick_lrs(records: list, models: list) -> dict:
    "Per model, the grid rate with the best validation accuracy in `tune` (ties: the lower validation loss)."
    best = {}
    for r in records:
        if r['stage'] != 'tune' or r['model'] not in models: continue
        score = (r['accuracy'], -r['val_loss'])
        if r['model'] not in best or score > best[r['model']][0]: best[r['model']] = (score, r['lr'])
    return {m: lr for m, (_, lr) in best.items()}


def show(r: dict):
    what = (f"T={r['seq_len']} pairs={r['n_pairs']}" + (f" q={r['n_queries']} {r['question']}" if r.get('n_queries') else '')
            if r['task'] == 'mqar' else f"copy L={r['length']}")
    print(f"  {r['stage']:<7}{r['model']:<7}C={r['n_embd']:<4}{what:<28}seed {r['seed']}  lr {r['lr']:g}  "
          f"acc {r['accuracy']:.3f}  val loss {r['val_loss']:.3f}  {r['seconds']:.0f}s", flush=True)


def cost(j: dict) -> float:
    "Rough relative time of a job (for ordering: longest first balances the workers)."
    T = j.get('seq_len') or 2 * j['length']
    return j['steps'] * T * (j['n_embd'] / 64) ** 1.5 * (1 if j['model'] == 'gpt' else 2.5)


def run_all(jobs: list, pool, done: list, on_record, have=frozenset()) -> None:
    todo = sorted((j for j in jobs if key(j) not in have), key=cost, reverse=True)
    print(f'{len(todo)} runs' + (f' ({len(jobs) - len(todo)} already in the results file)' if len(todo) < len(jobs) else ''), flush=True)
    jobs = todo
    for r in (pool.imap_unordered(run_job, jobs) if pool is not None else map(run_job, jobs)):
        show(r); done.append(r); on_record()


def cpu_name() -> str:
    "The CPU's model name (Linux), or the platform's processor string."
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError: pass
    return platform.processor() or '?'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--stages', nargs='+', default=list(STAGES), choices=STAGES)
    ap.add_argument('--models', nargs='+', default=['gpt', 'rwkv4', 'rwkv7'], choices=['gpt', 'rwkv4', 'rwkv7'])
    ap.add_argument('--seeds', type=int, nargs='+', help='override the seeds of the reported stages')
    ap.add_argument('--jobs', type=int, help='trainings side by side, one thread each (default: one per available core; 1 with --quick)')
    ap.add_argument('--quick', action='store_true', help='tiny sizes and a few steps, for tests; writes nothing unless --out')
    ap.add_argument('--redo', action='store_true', help='rerun settings already in the results file (default: skip them)')
    ap.add_argument('--out', help='results JSON (default data/recall_results.json; none with --quick)')
    args = ap.parse_args()
    P = dict(QUICK if args.quick else FULL)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else (os.cpu_count() or 1)
    args.jobs = args.jobs or (1 if args.quick else cores)
    if args.seeds: P['seeds'] = P['seeds_small'] = args.seeds
    out = Path(args.out) if args.out else (None if args.quick else ROOT/'data'/'recall_results.json')
    old = json.loads(out.read_text()) if out is not None and out.is_file() else dict(records=[], runs=[])
    records = [] if args.quick else list(old['records'])
    torch.set_num_threads(1)
    print(f'torch {torch.__version__}, {platform.machine()}, {os.cpu_count()} CPUs; 1 thread per run, {args.jobs} run(s) at a time')
    t0, done, load0 = time.time(), [], os.getloadavg()[0]

    def save():
        if out is None: return
        from rwkv_zero.core import atomic_write, dumps_strict
        new = {key(r) for r in done}
        kept = [r for r in records if key(r) not in new]
        meta = dict(date=datetime.datetime.now().astimezone().isoformat(timespec='seconds'),
                    machine=f'{platform.machine()}, {cores} cores available ({cpu_name()})',
                    load_average=dict(start=round(load0, 2), now=round(os.getloadavg()[0], 2)),
                    torch=torch.__version__, command='python bench/recall.py ' + ' '.join(sys.argv[1:]),
                    stages=args.stages, models=args.models, jobs=args.jobs, wall_s=round(time.time() - t0, 1),
                    settings={k: v for k, v in P.items()})
        res = dict(runs=old.get('runs', []) + [meta], records=sorted(kept + done, key=lambda r: tuple(map(str, key(r)))))
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, lambda p: Path(p).write_text(dumps_strict(res, indent=1) + '\n'))

    lrs = pick_lrs(records, args.models)
    pool = mp.get_context('spawn').Pool(args.jobs) if args.jobs > 1 else None
    try:
        have = frozenset() if args.redo else frozenset(key(r) for r in records)
        if 'tune' in args.stages:
            run_all(jobs_for('tune', P, args.models, lrs), pool, done, save, have)
            lrs = pick_lrs(records + done, args.models)
            print('chosen peak learning rates:', lrs, flush=True)
        rest = [s for s in args.stages if s != 'tune']
        missing = [m for m in args.models if m not in lrs]
        if rest and missing: sys.exit(f'no tuned learning rate for {missing}: run the tune stage first (--stages tune ...)')
        run_all([j for st in rest for j in jobs_for(st, P, args.models, lrs)], pool, done, save, have)
    finally:
        if pool is not None: pool.close(); pool.join()
    wall = time.time() - t0
    print(f'{len(done)} runs in {wall:.0f} s wall' + (f'; results in {out}' if out else ''))


if __name__ == '__main__':
    main()
