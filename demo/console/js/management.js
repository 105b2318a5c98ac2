// The management cluster: summary, nodes, management addons, and its terminal.
import { get } from './api.js';
import { h, phaseBadge, table } from './dom.js';
import { kubeconfigButton } from './kubeconfig.js';

export function managementView() {
  const summary = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const addons = h('div');
  const load = async () => {
    try {
      const [m, nodes, ma] = await Promise.all([
        get('/api/management'),
        get('/api/management/nodes'),
        get('/api/management/addons'),
      ]);
      summary.replaceChildren(
        h(
          'p',
          {},
          phaseBadge(m.phase),
          ` Kubernetes ${m.kubernetesVersion} · ${m.nodes.ready}/${m.nodes.total} nodes ready · ${m.tenantClusters} tenant clusters`,
        ),
        table(
          ['Namespace', 'Pods running'],
          m.systemNamespaces.map((s) => h('tr', {}, h('td', {}, s.namespace), h('td', {}, `${s.running}/${s.total}`))),
        ),
        h('h2', {}, 'Nodes'),
        table(
          ['Name', 'Status', 'Roles', 'Version'],
          nodes.nodes.map((n) =>
            h(
              'tr',
              {},
              h('td', {}, n.name),
              h('td', {}, phaseBadge(n.status)),
              h('td', {}, n.roles.join(', ')),
              h('td', {}, n.version),
            ),
          ),
        ),
      );
      addons.replaceChildren(
        table(
          ['Addon', 'Phase', 'Version'],
          ma.addons.map((a) =>
            h(
              'tr',
              {},
              h('td', {}, a.displayName),
              h('td', {}, phaseBadge(a.status.phase)),
              h('td', {}, a.status.installedVersion ?? a.version ?? ''),
            ),
          ),
        ),
      );
    } catch (err) {
      summary.replaceChildren(h('p', { class: 'error' }, err.message));
    }
  };
  void load();
  return {
    el: h(
      'div',
      {},
      h(
        'section',
        { class: 'card' },
        h(
          'h2',
          {},
          'Management cluster',
          h('a', { href: '#/terminal/management', id: 'open-management-terminal' }, 'Open terminal'),
        ),
        h(
          'div',
          { class: 'row' },
          kubeconfigButton(
            '/api/management/kubeconfig',
            'butler-management.kubeconfig',
            'download-management-kubeconfig',
          ),
        ),
        summary,
      ),
      h('section', { class: 'card' }, h('h2', {}, 'Management addons'), addons),
    ),
  };
}
