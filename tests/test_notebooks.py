"""Run every notebook in `nbs/` as a test, the way `nbdev_test` does, one pytest test per notebook.

Each notebook runs in its own Python process (so one notebook's global settings cannot leak into the next)
with nbdev's `test_nb`: cells flagged with a `tst_flags` flag from settings.ini (`notest slow gpu`) are
skipped. Set `RWKV_ZERO_FLAGS="slow"` (space separated) to run flagged cells too.
"""
import json, os, subprocess, sys
from configparser import ConfigParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith('_'))

def _skip_flags():
    cfg = ConfigParser(delimiters=['=']); cfg.read(ROOT/'settings.ini', encoding='utf-8')
    return cfg['DEFAULT'].get('tst_flags', '').split()

RUNNER = """
import sys, json
from pathlib import Path
from nbdev.test import test_nb
fn, skip, force = Path(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
ok, secs = test_nb(fn, skip_flags=skip, force_flags=force, showerr=True, basepath=Path(sys.argv[4]))
print(f'{fn.name}: {"ok" if ok else "FAILED"} in {secs:.1f}s')
sys.exit(0 if ok else 1)
"""

def test_there_are_notebooks(): assert NBS, 'no notebooks found in nbs/'

@pytest.mark.parametrize('nb', NBS, ids=[p.stem for p in NBS])
def test_notebook(nb):
    force = os.environ.get('RWKV_ZERO_FLAGS', '').split()
    env = {**os.environ, 'IN_TEST': '1', 'PYTHONHASHSEED': '0'}
    res = subprocess.run([sys.executable, '-c', RUNNER, str(nb), json.dumps(_skip_flags()), json.dumps(force), str(ROOT)],
                         capture_output=True, text=True, env=env, timeout=900)
    print(res.stdout)
    assert res.returncode == 0, f'{nb.name} failed:\n{res.stdout[-4000:]}\n{res.stderr[-8000:]}'
