// Tiny DOM helpers: elements are built with textContent only, so no API value is ever parsed as HTML.
/* global Node */

/** h('button', { class: 'primary', onclick: fn }, 'Text', child…) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'value') {
      // Also the default, so that form.reset() returns to it rather than to an empty field.
      if ('defaultValue' in el) el.defaultValue = value;
      el.value = value;
    } else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function phaseBadge(phase) {
  const text = phase || 'Unknown';
  return h('span', { class: `phase ${text}`, 'data-phase': text }, text);
}

export function table(headers, rows, attrs = {}) {
  return h(
    'table',
    attrs,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((x) => h('th', {}, x)),
      ),
    ),
    h('tbody', {}, rows),
  );
}

const MEMORY_UNITS = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A Kubernetes memory quantity ("8148564Ki") as people read it ("7.8 GiB"); anything unparsable as it is. */
export function formatMemory(quantity) {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(String(quantity ?? ''));
  if (!m) return quantity ?? '';
  const bytes = Number(m[1]) * (m[2] ? MEMORY_UNITS[m[2]] : 1);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value >= 10 || i === 0 ? Math.round(value) : value.toFixed(1)} ${units[i]}`;
}
