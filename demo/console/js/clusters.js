// The cluster list (live over /ws/clusters) and the create form.
import { get, post } from './api.js';
import { h, phaseBadge, table } from './dom.js';
import { clusterList, onChange } from './live.js';
import { canOperate, inSelectedTeam, selectedTeam } from './session.js';

function workers(c) {
  const desired = c.spec?.workers?.replicas ?? '?';
  const ready = c.status?.workerNodesReady ?? c.status?.observedState?.workers?.ready;
  return ready === undefined ? String(desired) : `${ready}/${desired}`;
}

function createForm(onCreated) {
  const error = h('p', { class: 'error', role: 'alert' });
  const provider = h('select', { name: 'providerConfigRef', required: true });
  get('/api/providers').then(
    (res) => {
      for (const p of res.providers) {
        provider.append(h('option', { value: p.metadata.name }, `${p.metadata.name} (${p.spec.provider})`));
      }
    },
    (err) => (error.textContent = err.message),
  );
  const form = h(
    'form',
    { class: 'card', id: 'create-form' },
    h('h2', {}, 'Create cluster'),
    h(
      'div',
      { class: 'row' },
      h(
        'label',
        {},
        'Name',
        h('input', { name: 'name', required: true, pattern: '[a-z0-9]([a-z0-9\\-]*[a-z0-9])?', placeholder: 'dev' }),
      ),
      h('label', {}, 'Namespace', h('input', { name: 'namespace', value: 'butler-tenants' })),
      h('label', {}, 'Provider', provider),
      h('label', {}, 'Kubernetes', h('input', { name: 'kubernetesVersion', value: 'v1.31.3', size: 8 })),
      h('label', {}, 'Workers', h('input', { name: 'workerReplicas', type: 'number', min: 1, max: 100, value: 2 })),
      h('button', { type: 'submit', class: 'primary' }, 'Create'),
    ),
    error,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const f = form.elements;
    try {
      await post('/api/clusters', {
        name: f.name.value,
        namespace: f.namespace.value,
        providerConfigRef: f.providerConfigRef.value,
        kubernetesVersion: f.kubernetesVersion.value,
        workerReplicas: Number(f.workerReplicas.value),
      });
      form.reset();
      onCreated();
    } catch (err) {
      error.textContent = err.message;
    }
  });
  return form;
}

export function clustersView() {
  const body = h('div');
  const draw = () => {
    const list = clusterList().filter(inSelectedTeam);
    const rows = list.map((c) =>
      h(
        'tr',
        { 'data-cluster': `${c.metadata.namespace}/${c.metadata.name}` },
        h('td', {}, h('a', { href: `#/clusters/${c.metadata.namespace}/${c.metadata.name}` }, c.metadata.name)),
        h('td', {}, c.metadata.namespace),
        h('td', { class: 'team' }, c.spec?.teamRef?.name ?? '—'),
        h('td', {}, phaseBadge(c.status?.phase)),
        h('td', {}, c.spec?.kubernetesVersion ?? ''),
        h('td', {}, c.spec?.providerConfigRef?.name ?? ''),
        h('td', { class: 'workers' }, workers(c)),
      ),
    );
    body.replaceChildren(
      list.length === 0
        ? h('p', { class: 'muted' }, 'No clusters yet.')
        : table(['Name', 'Namespace', 'Team', 'Phase', 'Kubernetes', 'Provider', 'Workers'], rows, { id: 'clusters' }),
    );
  };
  draw();
  const off = onChange(draw);
  // Viewers see the clusters only; creating is for operators and admins (of the selected team).
  const heading = selectedTeam() ? `Tenant clusters of team ${selectedTeam()}` : 'Tenant clusters';
  const el = h(
    'div',
    {},
    h('section', { class: 'card' }, h('h2', {}, heading), body),
    ...(canOperate()
      ? [createForm(draw)]
      : [h('p', { class: 'muted', id: 'read-only' }, 'Read-only: your role here is viewer.')]),
  );
  return { el, dispose: off };
}
