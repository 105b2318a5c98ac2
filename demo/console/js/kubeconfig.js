// "Download kubeconfig": a kubeconfig for kubectl through butler-server's proxy (never the cluster's own
// credentials), saved as a file. The kubectl token inside it has its own id and lifetime.
/* global Blob */
import { get } from './api.js';
import { h } from './dom.js';

export function kubeconfigButton(path, filename, id) {
  const status = h('span', { class: 'muted', role: 'status' });
  const button = h('button', { type: 'button', id }, 'Download kubeconfig');
  button.addEventListener('click', async () => {
    status.textContent = '';
    try {
      const res = await get(path);
      const url = URL.createObjectURL(new Blob([res.kubeconfig], { type: 'application/yaml' }));
      const link = h('a', { href: url, download: filename, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      status.textContent = `kubectl --kubeconfig ${filename} get nodes · token expires ${new Date(res.expiresAt).toLocaleString()}`;
    } catch (err) {
      status.textContent = err.message;
    }
  });
  return h('span', { class: 'kubeconfig' }, button, ' ', status);
}
