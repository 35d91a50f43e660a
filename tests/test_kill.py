"""Kill tests: `rwkv-zero train` stopped by SIGKILL or SIGTERM at random moments, then resumed (repeatedly), must end
with weights bit-identical to a run that was never interrupted. Plus what only real processes can show: two runs
started at once never share a folder, and `generate | head` ends quietly.

Small and quick: a one-layer model, width 32, on a 200 kB slice of the offline pydoc corpus."""
import os, random, signal, subprocess, sys, time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
TINY = ['--n-layer', '1', '--n-embd', '32', '--vocab-size', '300', '--batch', '4', '--ctx', '32', '--quiet']
STEPS = '40'

def cli(*args):
    "argv of the command line, run with this Python (the console script may not be on PATH)."
    return [sys.executable, '-c', 'import sys; from rwkv_zero.cli import main; sys.exit(main())', *map(str, args)]

def env():
    return {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONHASHSEED': '0'}

@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    from rwkv_zero.data import pydoc_text
    p = tmp_path_factory.mktemp('corpus')/'text.txt'
    p.write_text(pydoc_text()[:200_000], encoding='utf-8')
    return p

def weights(folder):
    return torch.load(Path(folder)/'model.pth', weights_only=True)

def test_kill_and_resume_is_bit_identical(corpus, tmp_path):
    ref = subprocess.run(cli('train', corpus, *TINY, '--steps', STEPS, '--out', tmp_path/'ref'), env=env(),
                         capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr[-3000:]
    run_dir, rng, kills = tmp_path/'killed', random.Random(1234), []
    args = cli('train', corpus, *TINY, '--steps', STEPS, '--out', run_dir, '--checkpoint-every', '0.3')
    for attempt in range(12):
        t0 = time.monotonic()
        p = subprocess.Popen(args, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if attempt < 6:                      # six kills at random moments, then let it finish
            sig = rng.choice([signal.SIGKILL, signal.SIGTERM])
            if attempt % 2 == 0: delay = rng.uniform(0.2, 3.0)      # anywhere, start-up included
            else:                                                    # during training: after run.json appeared
                while p.poll() is None and not (run_dir/'run.json').exists() and time.monotonic() - t0 < 120: time.sleep(0.05)
                delay = time.monotonic() - t0 + rng.uniform(0.0, 2.0)
            try: p.wait(timeout=max(0.0, delay - (time.monotonic() - t0)))
            except subprocess.TimeoutExpired: p.send_signal(sig); kills.append((sig.name, round(delay, 1)))
        out, err = p.communicate(timeout=300)
        if p.returncode == 0 and 'validation loss' in out: break
        assert p.returncode in (-signal.SIGKILL, -signal.SIGTERM, 128 + signal.SIGTERM), (p.returncode, err[-3000:])
        args = cli('train', corpus, '--resume', *TINY, '--steps', STEPS, '--out', run_dir, '--checkpoint-every', '0.3')
    else: pytest.fail(f'the run never finished: {kills}')
    assert kills, 'no kill landed: the run was too quick to interrupt'
    a, b = weights(tmp_path/'ref'), weights(run_dir)
    assert a.keys() == b.keys()
    for k in a: assert torch.equal(a[k], b[k]), (k, kills)
    st = torch.load(run_dir/'train_state.pt', weights_only=True)
    assert st['step'] == int(STEPS)
    assert not list(run_dir.glob('.*.tmp')), 'a temporary file was left behind'
    print('kills:', kills)

def test_two_runs_started_together_get_two_folders(corpus, tmp_path):
    procs = [subprocess.Popen(cli('train', corpus, *TINY, '--steps', '2'), cwd=tmp_path, env=env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e[-2000:] for _, e in outs]
    folders = sorted(p.name for p in (tmp_path/'runs').iterdir())
    assert len(folders) == 2, folders
    for f in folders: assert (tmp_path/'runs'/f/'model.pth').is_file()

def test_generate_into_a_closed_pipe_is_quiet(corpus, tmp_path):
    rc = subprocess.run(cli('train', corpus, *TINY, '--steps', '2', '--out', tmp_path/'r'), env=env(),
                        capture_output=True, timeout=300).returncode
    assert rc == 0
    gen = subprocess.Popen(cli('generate', tmp_path/'r', '--length', '3000', '--seed', '0'), env=env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = gen.stdout.read(20); gen.stdout.close()          # what `| head -c 20` does
    err = gen.stderr.read().decode(); gen.wait(timeout=120)
    assert head and gen.returncode == 0 and err == '', (gen.returncode, err[-2000:])
