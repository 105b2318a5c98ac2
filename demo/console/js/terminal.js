// A terminal over /ws/terminal/... with xterm.js (loaded as the classic scripts vendor/xterm.js and vendor/addon-fit.js).
/* global requestAnimationFrame */
import { h } from './dom.js';

export function terminalView(type, namespace, name) {
  const path =
    type === 'management'
      ? '/ws/terminal/management'
      : `/ws/terminal/tenant/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  const title = type === 'management' ? 'management cluster' : `${namespace}/${name}`;
  const status = h('span', { class: 'muted', id: 'terminal-status' }, 'connecting…');
  const box = h('div', { class: 'terminal', id: 'terminal' });
  const back = type === 'management' ? '#/management' : `#/clusters/${namespace}/${name}`;
  const el = h(
    'section',
    { class: 'card' },
    h('h2', {}, h('a', { href: back }, '←'), `Terminal: ${title}`, status),
    box,
  );

  const term = new window.Terminal({ convertEol: false, cursorBlink: true, fontSize: 14, scrollback: 5000 });
  const fit = new window.FitAddon.FitAddon();
  term.loadAddon(fit);
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`);
  const send = (msg) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  };
  const resize = () => {
    try {
      fit.fit();
    } catch {
      return;
    }
    send({ type: 'resize', cols: term.cols, rows: term.rows });
  };
  ws.onopen = () => {
    status.textContent = 'connected';
    resize();
    term.focus();
  };
  ws.onmessage = (ev) => term.write(typeof ev.data === 'string' ? ev.data : '');
  ws.onclose = (ev) => {
    status.textContent = `closed (${ev.code})`;
  };
  term.onData((data) => send({ type: 'data', data }));
  // Opened once the element is in the document, so the fit addon can measure it.
  requestAnimationFrame(() => {
    term.open(box);
    resize();
  });
  window.addEventListener('resize', resize);

  return {
    el,
    dispose() {
      window.removeEventListener('resize', resize);
      ws.close();
      term.dispose();
    },
  };
}
