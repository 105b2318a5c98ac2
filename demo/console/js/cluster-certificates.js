// A cluster's control-plane certificates by category (subject, SANs, issuer, validity, days left, health), and the
// renewal request (platform admins; the server refuses anyone else).
import { get, post } from './api.js';
import { h, phaseBadge, table } from './dom.js';

export function clusterCertificates(namespace, name) {
  const base = `/api/clusters/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/certificates`;
  const body = h('div', { id: 'certificates' }, h('p', { class: 'muted' }, 'Loading certificates…'));
  const message = h('p', { class: 'muted', id: 'rotate-status', role: 'status' });
  const rotate = h('button', { type: 'button', id: 'rotate-certificates' }, 'Renew certificates');

  const load = async () => {
    try {
      const res = await get(base);
      const rows = Object.entries(res.categories).flatMap(([category, certs]) =>
        certs.map((c) =>
          h(
            'tr',
            { 'data-certificate': `${c.secretName}/${c.secretKey}`, 'data-category': category },
            h('td', {}, category),
            h('td', {}, c.subject),
            h('td', { class: 'message' }, [...c.dnsNames, ...c.ipAddresses].join(', ')),
            h('td', {}, c.issuer),
            h('td', {}, new Date(c.notBefore).toLocaleDateString()),
            h('td', {}, new Date(c.notAfter).toLocaleDateString()),
            h('td', { class: 'days-left' }, String(c.daysUntilExpiry)),
            h('td', {}, phaseBadge(c.healthStatus)),
          ),
        ),
      );
      body.replaceChildren(
        h(
          'p',
          { class: 'muted', id: 'certificate-summary', 'data-count': res.certificateCount },
          `${res.certificateCount} certificate(s) · overall `,
          phaseBadge(res.overallHealth),
          res.rotationInProgress ? ` · renewal in progress (${res.rotatingSecrets.length} Secret(s))` : '',
        ),
        table(['Category', 'Subject', 'SANs', 'Issuer', 'Not before', 'Not after', 'Days left', 'Health'], rows),
      );
    } catch (err) {
      body.replaceChildren(h('p', { class: 'muted', id: 'certificate-summary', 'data-count': 0 }, err.message));
    }
  };

  rotate.addEventListener('click', async () => {
    message.textContent = '';
    try {
      const res = await post(`${base}/rotate`, { type: 'all' });
      message.textContent = `Renewal requested for ${res.affectedSecrets.length} Secret(s).`;
      await load();
    } catch (err) {
      message.textContent = err.message;
    }
  });

  void load();
  return { el: h('div', {}, body, h('div', { class: 'row' }, rotate), message), refresh: load };
}
