"""Package-level promises that no single notebook owns."""
import subprocess, sys
from pathlib import Path

import rwkv_zero

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p.stem for p in (ROOT/'rwkv_zero').glob('*.py') if not p.stem.startswith('_'))

def test_import_is_light():
    "Importing every module must not pull in triton, matplotlib or ipywidgets (they are imported lazily)."
    code = ("import sys, importlib\n"
            f"for m in {MODULES!r}: importlib.import_module('rwkv_zero.' + m)\n"
            "heavy = sorted({'triton', 'matplotlib', 'ipywidgets'} & {k.split('.')[0] for k in sys.modules})\n"
            "print(heavy); sys.exit(1 if heavy else 0)")
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert res.returncode == 0, f'importing rwkv_zero pulled in {res.stdout.strip()} {res.stderr[-2000:]}'

def test_version(): assert rwkv_zero.__version__
