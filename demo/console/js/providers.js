// Providers with their Validate button.
import { get, post } from './api.js';
import { h, phaseBadge, table } from './dom.js';

function endpoint(p) {
  const s = p.spec ?? {};
  return (
    s.nutanix?.endpoint ?? s.proxmox?.endpoint ?? (s.harvester?.networkName ? `network ${s.harvester.networkName}` : '')
  );
}

function validated(p) {
  const c = (p.status?.conditions ?? []).find((x) => x.type === 'Validated');
  if (!c) return h('span', { class: 'muted' }, 'not validated');
  return h(
    'span',
    {},
    phaseBadge(c.status === 'True' ? 'valid' : 'invalid'),
    ' ',
    h('span', { class: 'message' }, c.message),
  );
}

export function providersView() {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const load = async () => {
    try {
      const res = await get('/api/providers');
      body.replaceChildren(
        table(
          ['Name', 'Type', 'Endpoint', 'Last validation', ''],
          res.providers.map((p) => {
            const result = h('td', { class: 'result' }, validated(p));
            const button = h('button', { type: 'button', class: 'validate' }, 'Validate');
            button.addEventListener('click', async () => {
              button.disabled = true;
              result.replaceChildren(h('span', { class: 'muted' }, 'checking…'));
              try {
                const r = await post(`/api/providers/${p.metadata.namespace}/${p.metadata.name}/validate`);
                result.replaceChildren(
                  phaseBadge(r.valid ? 'valid' : 'invalid'),
                  ' ',
                  h('span', { class: 'message', 'data-valid': String(r.valid) }, r.message),
                );
              } catch (err) {
                result.replaceChildren(h('span', { class: 'error' }, err.message));
              } finally {
                button.disabled = false;
              }
            });
            return h(
              'tr',
              { 'data-provider': p.metadata.name },
              h('td', {}, p.metadata.name),
              h('td', {}, p.spec.provider),
              h('td', {}, endpoint(p)),
              result,
              h('td', {}, button),
            );
          }),
          { id: 'providers' },
        ),
      );
    } catch (err) {
      body.replaceChildren(h('p', { class: 'error' }, err.message));
    }
  };
  void load();
  return { el: h('section', { class: 'card' }, h('h2', {}, 'Providers'), body) };
}
