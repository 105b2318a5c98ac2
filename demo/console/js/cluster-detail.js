// One cluster: status, scale, delete, nodes (refreshed while open), addons, events, and its terminal.
import { canOperate } from './session.js';
import { del, get, patch } from './api.js';
import { clusterCertificates } from './cluster-certificates.js';
import { clusterEditForm } from './cluster-edit.js';
import { formatMemory, h, phaseBadge, table } from './dom.js';
import { kubeconfigButton } from './kubeconfig.js';
import { cluster, onChange } from './live.js';

const REFRESH_MS = 2000;

export function clusterDetailView(namespace, name) {
  const base = `/api/clusters/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  const summary = h('div');
  const nodes = h('div', { id: 'nodes' }, h('p', { class: 'muted' }, 'Loading nodes…'));
  const addons = h('div', { id: 'addons' });
  const events = h('div', { id: 'events' });
  const error = h('p', { class: 'error', role: 'alert' });
  const editForm = clusterEditForm(namespace, name);
  const certificates = clusterCertificates(namespace, name);
  const replicas = h('input', { type: 'number', min: 1, max: 100, name: 'replicas', size: 4 });
  const terminalLink = h(
    'a',
    { href: `#/terminal/tenant/${namespace}/${name}`, id: 'open-terminal', hidden: true },
    'Open terminal',
  );
  const kubeconfig = kubeconfigButton(
    `${base}/kubeconfig?via=butler`,
    `butler-${namespace}-${name}.kubeconfig`,
    'download-kubeconfig',
  );
  kubeconfig.hidden = true;
  let deleteArmed = false;
  const deleteButton = h('button', { type: 'button', class: 'danger', id: 'delete-cluster' }, 'Delete');

  deleteButton.addEventListener('click', async () => {
    if (!deleteArmed) {
      deleteArmed = true;
      deleteButton.textContent = 'Click again to delete';
      return;
    }
    try {
      await del(base);
      location.hash = '#/clusters';
    } catch (err) {
      error.textContent = err.message;
    }
  });

  const scaleButton = h('button', { type: 'button', id: 'scale-cluster' }, 'Scale');
  scaleButton.addEventListener('click', async () => {
    error.textContent = '';
    try {
      await patch(`${base}/scale`, { replicas: Number(replicas.value) });
    } catch (err) {
      error.textContent = err.message;
    }
  });

  let replicasTouched = false;
  replicas.addEventListener('input', () => (replicasTouched = true));

  const drawSummary = () => {
    const c = cluster(namespace, name);
    if (!c) {
      summary.replaceChildren(h('p', { class: 'muted' }, 'Not found (or deleted).'));
      return;
    }
    const ready = c.status?.phase === 'Ready';
    terminalLink.hidden = !ready;
    kubeconfig.hidden = !ready;
    if (!replicasTouched) replicas.value = c.spec?.workers?.replicas ?? 1;
    const condition = (c.status?.conditions ?? []).find((x) => x.type === 'Ready');
    summary.replaceChildren(
      h('p', {}, phaseBadge(c.status?.phase), ' ', h('span', { class: 'muted' }, condition?.message ?? '')),
      h(
        'p',
        { class: 'muted' },
        `Kubernetes ${c.spec?.kubernetesVersion ?? '?'} · provider ${c.spec?.providerConfigRef?.name ?? '?'} · tenant namespace ${c.status?.tenantNamespace || '–'}`,
      ),
    );
  };

  const loadNodes = async () => {
    try {
      const res = await get(`${base}/nodes`);
      nodes.replaceChildren(
        h('p', { class: 'muted', id: 'node-count', 'data-count': res.nodes.length }, `${res.nodes.length} node(s)`),
        table(
          ['Name', 'Status', 'Roles', 'Version', 'Internal IP', 'CPU', 'Memory', 'Age'],
          res.nodes.map((n) =>
            h(
              'tr',
              { 'data-node': n.name },
              h('td', {}, n.name),
              h('td', {}, phaseBadge(n.status)),
              h('td', {}, n.roles.join(', ')),
              h('td', {}, n.version),
              h('td', {}, n.internalIP),
              h('td', {}, n.cpu),
              h('td', {}, formatMemory(n.memory)),
              h('td', {}, n.age),
            ),
          ),
        ),
      );
    } catch (err) {
      nodes.replaceChildren(h('p', { class: 'muted', id: 'node-count', 'data-count': 0 }, `No nodes: ${err.message}`));
    }
  };

  const loadAddons = async () => {
    try {
      const res = await get(`${base}/addons`);
      addons.replaceChildren(
        table(
          ['Addon', 'Status', 'Version', 'Managed by'],
          res.addons.map((a) =>
            h(
              'tr',
              {},
              h('td', {}, a.displayName),
              h('td', {}, phaseBadge(a.status)),
              h('td', {}, a.installedVersion ?? a.version ?? ''),
              h('td', {}, a.managedBy),
            ),
          ),
        ),
      );
    } catch (err) {
      addons.replaceChildren(h('p', { class: 'muted' }, err.message));
    }
  };

  const loadEvents = async () => {
    try {
      const res = await get(`${base}/events?limit=20`);
      events.replaceChildren(
        table(
          ['Time', 'Type', 'Reason', 'Message'],
          res.events.map((e) =>
            h(
              'tr',
              {},
              h('td', {}, new Date(e.lastTimestamp).toLocaleTimeString()),
              h('td', {}, e.type),
              h('td', {}, e.reason),
              h('td', { class: 'message' }, e.message),
            ),
          ),
        ),
      );
    } catch (err) {
      events.replaceChildren(h('p', { class: 'muted' }, err.message));
    }
  };

  const refresh = () => Promise.all([loadNodes(), loadAddons(), loadEvents()]);
  drawSummary();
  void refresh();
  const off = onChange(() => {
    drawSummary();
    editForm.refresh();
  });
  const timer = setInterval(refresh, REFRESH_MS);

  const el = h(
    'div',
    {},
    h(
      'section',
      { class: 'card' },
      h(
        'h2',
        {},
        h('a', { href: '#/clusters' }, 'Clusters'),
        ' / ',
        h('span', { id: 'cluster-name' }, `${namespace}/${name}`),
      ),
      summary,
      // Scale and delete for operators and admins; viewers get the read-only terminal only.
      canOperate()
        ? h('div', { class: 'row' }, h('label', {}, 'Workers', replicas), scaleButton, terminalLink, deleteButton)
        : h('div', { class: 'row' }, terminalLink, h('span', { class: 'muted' }, 'read-only terminal')),
      h('div', { class: 'row' }, kubeconfig),
      error,
    ),
    h('section', { class: 'card' }, h('h2', {}, 'Edit'), editForm.el),
    h('section', { class: 'card' }, h('h2', {}, 'Nodes'), nodes),
    h('section', { class: 'card' }, h('h2', {}, 'Addons'), addons),
    h('section', { class: 'card' }, h('h2', {}, 'Events'), events),
    h('section', { class: 'card' }, h('h2', {}, 'Certificates'), certificates.el),
  );
  return {
    el,
    dispose() {
      off();
      clearInterval(timer);
    },
  };
}
