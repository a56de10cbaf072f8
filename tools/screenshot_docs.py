"""Look at the built docs site (`_docs/`, from `python tools/build_docs.py`) in headless Chromium: every page is loaded
offline from disk, MathJax is waited for, and the whole page is photographed in slices of the window's height
(`OUT/<page>-<n>.png`); for each page it reports what a reader would see wrong: equations left as TeX, figures shown
smaller than their natural size (and by how much), requests that left the disk, JavaScript errors.

Needs Debian's chromium (`apt-get install -y chromium`; not needed by CI). Talks to it with the DevTools protocol over a
pipe (`--remote-debugging-pipe`), so it needs nothing beyond the standard library.

Usage: `python tools/screenshot_docs.py [--site _docs] [--out /tmp/docs_shots] [--width 1400] [--height 1600]
[--pages 02_trace.html ...] [--no-shots]`. The report is printed and written to `OUT/report.json`. Exit status 1 when a
page has TeX left, a JavaScript error or a request off the disk."""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--remote-debugging-pipe']

MEASURE = """(() => {
  const main = document.querySelector('main.content') || document.body;
  const imgs = [...main.querySelectorAll('.cell-output-display img')].map((i) => {
    const r = i.getBoundingClientRect();
    const cell = i.closest('.cell'), code = cell && cell.querySelector('pre.sourceCode, pre');
    return {natural: +i.getAttribute('width') || i.naturalWidth, shown: Math.round(r.width), y: Math.round(r.top + scrollY),
            zoomable: i.classList.contains('sd-zoomable'), cell: cell ? cell.id : '',
            code: code ? code.textContent.trim().split('\\n')[0].slice(0, 70) : ''};
  });
  const tex = [...document.querySelectorAll('span.math')].filter((s) => !s.querySelector('mjx-container'))
    .map((s) => s.textContent.slice(0, 60));
  return {height: document.documentElement.scrollHeight, column: Math.round(main.getBoundingClientRect().width),
          typeset: document.querySelectorAll('mjx-container').length, tex_left: tex, images: imgs};
})()"""


class Chromium:
    "A headless Chromium driven through the DevTools protocol on a pipe (fd 3 in, fd 4 out, as Chromium expects)."

    def __init__(self, binary: str):
        self.profile = tempfile.mkdtemp(prefix='chromium-')
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()

        def fds():  # the child reads commands on fd 3 and writes answers on fd 4
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)
            os.set_inheritable(3, True)  # dup2 onto itself (a pipe that already was fd 3) keeps close-on-exec
            os.set_inheritable(4, True)
        self.proc = subprocess.Popen([binary, *FLAGS, f'--user-data-dir={self.profile}', 'about:blank'],
                                     preexec_fn=fds, close_fds=False,  # (closing would undo the dup2 above)
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf, self._id, self.events = b'', 0, []

    def _read(self) -> dict:
        while b'\0' not in self._buf:
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError('chromium closed the pipe')
            self._buf += chunk
        msg, self._buf = self._buf.split(b'\0', 1)
        return json.loads(msg)

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self._id += 1
        msg = {'id': self._id, 'method': method, 'params': params, **({'sessionId': session} if session else {})}
        os.write(self._w, json.dumps(msg).encode() + b'\0')
        while True:
            m = self._read()
            if m.get('id') == self._id:
                if 'error' in m:
                    raise RuntimeError(f'{method}: {m["error"]}')
                return m.get('result', {})
            self.events.append(m)

    def wait_event(self, method: str, timeout: float = 30):
        end = time.time() + timeout
        while time.time() < end:
            for i, m in enumerate(self.events):
                if m.get('method') == method:
                    return self.events.pop(i)
            self.events.append(self._read())
        raise TimeoutError(method)

    def close(self):
        try:
            self.send('Browser.close')
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def shoot(ch: Chromium, page: Path, out: Path, width: int, height: int, shots: bool) -> dict:
    target = ch.send('Target.createTarget', url='about:blank')['targetId']
    s = ch.send('Target.attachToTarget', targetId=target, flatten=True)['sessionId']
    for domain in ('Page', 'Runtime', 'Network', 'Log'):
        ch.send(f'{domain}.enable', s)
    ch.send('Emulation.setDeviceMetricsOverride', s, width=width, height=height, deviceScaleFactor=1, mobile=False)
    ch.events.clear()
    ch.send('Page.navigate', s, url=page.resolve().as_uri())
    ch.wait_event('Page.loadEventFired')
    ch.send('Runtime.evaluate', s, awaitPromise=True, expression=(
        "window.MathJax && MathJax.startup && MathJax.startup.promise ? MathJax.startup.promise.then(() => 1) : 0"))
    time.sleep(0.3)
    info = ch.send('Runtime.evaluate', s, expression=MEASURE, returnByValue=True)['result']['value']
    remote = sorted({e['params']['request']['url'][:120] for e in ch.events if e.get('method') == 'Network.requestWillBeSent'
                     and not e['params']['request']['url'].startswith(('file:', 'data:', 'about:'))})
    errors = [e['params']['exceptionDetails'].get('exception', {}).get('description', e['params']['exceptionDetails']['text'])[:200]
              for e in ch.events if e.get('method') == 'Runtime.exceptionThrown']
    errors += [e['params']['entry']['text'][:200] for e in ch.events
               if e.get('method') == 'Log.entryAdded' and e['params']['entry']['level'] == 'error']
    files = []
    if shots:
        for n, y in enumerate(range(0, info['height'], height)):
            clip = {'x': 0, 'y': y, 'width': width, 'height': min(height, info['height'] - y), 'scale': 1}
            png = ch.send('Page.captureScreenshot', s, format='png', clip=clip, captureBeyondViewport=True)['data']
            f = out / f'{page.stem}-{n}.png'
            f.write_bytes(base64.b64decode(png))
            files.append(str(f))
    ch.send('Target.closeTarget', targetId=target)
    ch.events.clear()
    return {**info, 'remote_requests': remote, 'js_errors': errors, 'screenshots': files}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--site', default='_docs', help='the built site')
    p.add_argument('--out', default='/tmp/docs_shots', help='where the screenshots and report.json go')
    p.add_argument('--width', type=int, default=1400)
    p.add_argument('--height', type=int, default=1600, help='the window height, and of each slice')
    p.add_argument('--pages', nargs='*', help='only these pages (file names in the site)')
    p.add_argument('--no-shots', action='store_true', help='measure only')
    a = p.parse_args()
    binary = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
    if not binary:
        sys.stderr.write('screenshot_docs: no chromium on PATH; install it with `apt-get install -y chromium`\n')
        return 2
    site, out = Path(a.site), Path(a.out)
    pages = [site / n for n in a.pages] if a.pages else [pg for pg in sorted(site.glob('*.html'))
                                                         if 'name="sd-redirect"' not in pg.read_text()[:300]]
    if not pages or not all(pg.exists() for pg in pages):
        sys.stderr.write(f'screenshot_docs: no such pages in {site} (build the site first: python tools/build_docs.py)\n')
        return 2
    out.mkdir(parents=True, exist_ok=True)
    ch = Chromium(binary)
    report, bad = {}, False
    try:
        for pg in pages:
            r = report[pg.name] = shoot(ch, pg, out, a.width, a.height, not a.no_shots)
            small = [i for i in r['images'] if i['shown'] < i['natural']]
            print(f'{pg.name}: {r["height"]} px high, text column {r["column"]} px, {r["typeset"]} equations typeset, '
                  f'{len(r["tex_left"])} left as TeX, {len(r["images"])} figures ({len(small)} shown below natural width), '
                  f'{len(r["remote_requests"])} remote requests, {len(r["js_errors"])} JS errors, {len(r["screenshots"])} shots')
            for i in small:
                print(f'    figure at y={i["y"]}: {i["natural"]} px shown at {i["shown"]} px '
                      f'({i["shown"] / i["natural"]:.0%}{", click to zoom" if i["zoomable"] else ""}) in {i["cell"]}: {i["code"]}')
            for k in ('tex_left', 'remote_requests', 'js_errors'):
                for x in r[k]:
                    print(f'    {k}: {x}')
            bad |= bool(r['tex_left'] or r['remote_requests'] or r['js_errors'])
    finally:
        ch.close()
    (out / 'report.json').write_text(json.dumps(report, indent=1))
    print(f'screenshots and report.json in {out}')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
