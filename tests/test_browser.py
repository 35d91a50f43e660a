"""A real browser drives chapter 07's widgets: JupyterLab, headless Chromium and Python Playwright.

The test starts JupyterLab on 127.0.0.1 (a free port, a random token, temporary config, runtime and settings
folders, the repository as root), opens `nbs/07_state_decay.ipynb` in headless Chromium from Debian's
`chromium` package (Playwright's `executable_path`: a browser download cannot work here), runs all cells,
drags one slider of each widget and checks that the picture changed, by comparing screenshots of the plot
before and after. Screenshots and the JupyterLab log go to `tests/artifacts/` (git-ignored by a `.gitignore`
the test writes there; `RWKV_ZERO_ARTIFACTS` moves it). Every process the test starts is stopped in a
`finally`, whatever happened, and the test fails if one survives.

Without Chromium or Playwright the test skips with a one-line reason, except under CI (`CI=true`), where a
missing browser is a failure.
"""
import json, os, secrets, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = 'nbs/07_state_decay.ipynb'
ARTIFACTS = Path(os.environ.get('RWKV_ZERO_ARTIFACTS') or ROOT/'tests'/'artifacts')
IN_CI = os.environ.get('CI', '').strip().lower() in ('1', 'true', 'yes')
TIMEOUT_S = 600            # for the run-all of the notebook: well under a minute on a quiet 2-core CPU, generous for a busy one

# the widgets of chapter 07: CSS class of the box (PlotWidget adds it), the slider to drag (its label), and how far
# (in pixels, toward the side of the track with more room)
WIDGETS = [('decay_explorer', 'rwkv-zero-decay', 'time_decay', 80),
           ('effective_attention', 'rwkv-zero-attention', 'layer', 150),
           ('state_scrubber', 'rwkv-zero-state', 'after token t', 150)]

LAB_SETTINGS = {  # user settings for this JupyterLab only: every cell in the DOM, start the kernel, never save, no news
    '@jupyterlab/notebook-extension/tracker.jupyterlab-settings': {'windowingMode': 'none', 'autoStartDefaultKernel': True},
    '@jupyterlab/docmanager-extension/plugin.jupyterlab-settings': {'autosave': False},
    '@jupyterlab/apputils-extension/notification.jupyterlab-settings': {'fetchNews': 'false', 'checkForUpdates': False},
}


def _missing(reason: str):
    "Skip on a learner's machine; fail under CI, where the browser is part of the job."
    if IN_CI: pytest.fail(f'{reason} (CI=true: a missing browser is a failure, not a skip)', pytrace=False)
    pytest.skip(reason)

def _chromium() -> str | None:
    for p in (os.environ.get('CHROMIUM'), shutil.which('chromium'), shutil.which('chromium-browser'), '/usr/bin/chromium'):
        if p and os.path.isfile(p) and os.access(p, os.X_OK): return p
    return None

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def _children() -> dict:
    "{pid: parent pid} of every process, from /proc."
    out = {}
    for d in Path('/proc').iterdir():
        if not d.name.isdigit(): continue
        try: out[int(d.name)] = int((d/'stat').read_text().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError): pass
    return out

def _descendants(pid: int) -> set:
    parents, found, todo = _children(), set(), [pid]
    while todo:
        p = todo.pop()
        for c, pp in parents.items():
            if pp == p and c not in found: found.add(c); todo.append(c)
    return found

def _alive(pid: int) -> bool:
    try: state = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0]
    except OSError: return False
    return state != 'Z'                                      # a zombie has exited (its parent has not reaped it yet)

def _stop(proc: subprocess.Popen, base: str, token: str) -> list:
    "Stop JupyterLab and everything it started (kernels live in sessions of their own). Returns the survivors."
    pids = {proc.pid} | _descendants(proc.pid)
    try:                                                     # 1. ask the server to shut down (it stops its kernels)
        req = urllib.request.Request(f'{base}/api/shutdown', method='POST', headers={'Authorization': f'token {token}'})
        urllib.request.urlopen(req, timeout=5).close()
        proc.wait(timeout=15)
    except Exception: pass
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):   # 2. then signals, to every process group involved
        live = [p for p in pids if _alive(p)]
        if not live: break
        for p in live:
            try: os.killpg(os.getpgid(p), sig)
            except (ProcessLookupError, PermissionError):
                try: os.kill(p, sig)
                except ProcessLookupError: pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(_alive(p) for p in pids):
            try: proc.wait(timeout=0.1)
            except subprocess.TimeoutExpired: pass
    try: proc.wait(timeout=1)
    except subprocess.TimeoutExpired: pass
    return sorted(p for p in pids if _alive(p))

def _wait_for_server(proc, base: str, token: str, log: Path, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f'JupyterLab exited with code {proc.returncode}:\n{log.read_text()[-3000:]}')
        try:
            with urllib.request.urlopen(f'{base}/api/status?token={token}', timeout=2) as r:
                if r.status == 200: return
        except Exception: time.sleep(0.3)
    raise TimeoutError(f'JupyterLab did not answer within {timeout:.0f}s:\n{log.read_text()[-3000:]}')

def _changed_fraction(a: Path, b: Path) -> float:
    "Fraction of pixels that differ between two screenshots (1.0 if their sizes differ)."
    import numpy as np
    from PIL import Image
    x, y = (np.asarray(Image.open(p).convert('RGB'), dtype=np.int16) for p in (a, b))
    if x.shape != y.shape: return 1.0
    return float((np.abs(x - y).max(-1) > 8).mean())

RUN_ALL = """async (timeoutMs) => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  const run = app.commands.execute('notebook:run-all-cells');
  const timer = new Promise((_, reject) => setTimeout(() => reject(new Error('run-all timed out')), timeoutMs));
  const ok = await Promise.race([run, timer]);
  const errors = [];
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') continue;
    for (let i = 0; i < cell.model.outputs.length; i++) {
      const o = cell.model.outputs.get(i);
      if (o.type === 'error') errors.push(JSON.stringify(o.toJSON()).slice(0, 2000));
    }
  }
  return {ok: ok, errors: errors};
}"""


def test_widgets_in_a_real_browser():
    chromium = _chromium()
    if chromium is None: _missing('no Chromium found: apt-get install -y chromium to run the browser test')
    try: from playwright.sync_api import sync_playwright
    except ImportError: _missing('Python playwright is not installed: pip install playwright to run the browser test')

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS/'.gitignore').write_text('*\n')               # artifacts never end up in git
    times, t_start = {}, time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix='rwkv-zero-lab-'))
    for name, value in LAB_SETTINGS.items():
        (tmp/'settings'/Path(name).parent).mkdir(parents=True, exist_ok=True)
        (tmp/'settings'/name).write_text(json.dumps(value))
    port, token = _free_port(), secrets.token_hex(24)
    base = f'http://127.0.0.1:{port}'
    env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(tmp/'config'), 'JUPYTER_RUNTIME_DIR': str(tmp/'runtime'),
           'JUPYTER_DATA_DIR': str(tmp/'data'), 'IPYTHONDIR': str(tmp/'ipython'), 'JUPYTER_PLATFORM_DIRS': '1',
           'IN_TEST': '1', 'PYTHONHASHSEED': '0'}
    env.pop('JUPYTER_TOKEN', None)
    cmd = [sys.executable, '-m', 'jupyterlab', '--no-browser', '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={port}',
           '--ServerApp.port_retries=0', f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={ROOT}',
           '--LabApp.expose_app_in_browser=True', f'--LabApp.user_settings_dir={tmp/"settings"}',
           f'--LabApp.workspaces_dir={tmp/"workspaces"}', f'--FileCheckpoints.checkpoint_dir={tmp/"checkpoints"}',
           '--ServerApp.terminals_enabled=False']
    if hasattr(os, 'geteuid') and os.geteuid() == 0: cmd.append('--allow-root')   # CI containers run as root
    log_path = ARTIFACTS/'jupyterlab.log'
    log = open(log_path, 'w')
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)          # its own process group, so all of it can be stopped
    survivors, changed = [], {}
    notebook_bytes = (ROOT/NOTEBOOK).read_bytes()           # the run must leave the source notebook as it was
    try:
        _wait_for_server(proc, base, token, log_path)
        times['server'] = time.monotonic() - t_start
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                         args=['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'])
            try:
                page = browser.new_page(viewport={'width': 1500, 'height': 1000}, device_scale_factor=1)
                page.set_default_timeout(60_000)
                page.goto(f'{base}/lab/tree/{NOTEBOOK}?token={token}')
                page.wait_for_selector('.jp-NotebookPanel .jp-Cell', timeout=90_000)
                page.wait_for_function('() => window.jupyterapp && window.jupyterapp.shell.currentWidget '
                                       '&& window.jupyterapp.shell.currentWidget.sessionContext', timeout=90_000)
                times['page'] = time.monotonic() - t_start
                res = page.evaluate(RUN_ALL, TIMEOUT_S * 1000)
                times['run all'] = time.monotonic() - t_start
                page.screenshot(path=str(ARTIFACTS/'notebook.png'))
                assert not res['errors'], f'cells failed in the browser:\n' + '\n'.join(res['errors'])
                assert res['ok'], 'run-all did not report success'
                for name, css, label, dx in WIDGETS:
                    changed[name] = _drag_and_compare(page, name, css, label, dx)
                times['sliders'] = time.monotonic() - t_start
            finally:
                browser.close()
    finally:
        survivors = _stop(proc, base, token)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
        saved = (ROOT/NOTEBOOK).read_bytes() != notebook_bytes
        if saved: (ROOT/NOTEBOOK).write_bytes(notebook_bytes)
    print('browser test: ' + ', '.join(f'{k} at {v:.1f}s' for k, v in times.items()) +
          '; changed pixels: ' + ', '.join(f'{k} {v:.1%}' for k, v in changed.items()))
    assert not survivors, f'processes still running after the test: {survivors}'
    assert not saved, f'JupyterLab saved {NOTEBOOK} during the test (restored; autosave should be off)'
    for name, frac in changed.items():
        assert frac > 0.002, f'{name}: moving the slider did not change the plot ({frac:.3%} of pixels differ)'


def _drag_and_compare(page, name: str, css: str, label: str, dx: int) -> float:
    "Screenshot a widget's plot, drag its slider `label` by |dx| pixels, wait for the new plot, screenshot again."
    box = page.locator(f'.{css}')
    box.wait_for(state='visible')
    img = box.locator('img').first
    page.wait_for_function('(el) => el.complete && el.naturalWidth > 0', arg=img.element_handle())
    box.scroll_into_view_if_needed()
    box.screenshot(path=str(ARTIFACTS/f'{name}.png'))           # the whole widget, as shown in the README
    before, after = ARTIFACTS/f'{name}_before.png', ARTIFACTS/f'{name}_after.png'
    img.screenshot(path=str(before))
    src = img.get_attribute('src')
    slider = box.locator('.widget-slider', has_text=label).first
    readout = slider.locator('.widget-readout').first
    value_before = readout.inner_text()
    handle = slider.locator('.noUi-handle').first
    handle.scroll_into_view_if_needed()
    bb, track = handle.bounding_box(), slider.locator('.noUi-target').first.bounding_box()
    x, y = bb['x'] + bb['width'] / 2, bb['y'] + bb['height'] / 2
    if x > track['x'] + track['width'] / 2: dx = -dx                  # near the right end: drag to the left
    page.mouse.move(x, y); page.mouse.down()
    page.mouse.move(x + dx, y, steps=8); page.mouse.up()
    # the kernel redraws and sends a new PNG: the <img> gets a new src; wait until it has settled
    page.wait_for_function('([el, src]) => el.getAttribute("src") !== src && el.complete && el.naturalWidth > 0',
                           arg=[img.element_handle(), src], timeout=60_000)
    last, stable_since = img.get_attribute('src'), time.monotonic()
    while time.monotonic() - stable_since < 1.5:
        time.sleep(0.25)
        now = img.get_attribute('src')
        if now != last: last, stable_since = now, time.monotonic()
    img.screenshot(path=str(after))
    assert readout.inner_text() != value_before, f'{name}: the slider {label!r} did not move ({value_before})'
    return _changed_fraction(before, after)
