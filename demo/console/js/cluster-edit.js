// The edit form of a cluster: workers (replicas, machine template) and control-plane replicas, saved with PUT and
// the resourceVersion the form was filled from, so a change made meanwhile by someone else is refused (409), not lost.
import { put } from './api.js';
import { h } from './dom.js';
import { cluster } from './live.js';

export function clusterEditForm(namespace, name) {
  const base = `/api/clusters/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  const field = (label, input) => h('label', {}, label, input);
  const inputs = {
    workerReplicas: h('input', { type: 'number', min: 1, max: 100, name: 'workerReplicas', size: 4 }),
    cpu: h('input', { type: 'number', min: 1, max: 256, name: 'cpu', size: 4 }),
    memory: h('input', { name: 'memory', size: 6, placeholder: '8Gi' }),
    diskSize: h('input', { name: 'diskSize', size: 6, placeholder: '50Gi' }),
    cpReplicas: h('select', { name: 'cpReplicas' }, h('option', { value: '1' }, '1'), h('option', { value: '3' }, '3')),
  };
  const ack = h('input', { type: 'checkbox', name: 'acknowledgeDowngrade' });
  const ackLabel = h(
    'label',
    { hidden: true },
    ack,
    ' I understand 3 → 1 control-plane replicas removes high availability',
  );
  const status = h('p', { class: 'muted', id: 'edit-status', role: 'status' });
  const error = h('p', { class: 'error', id: 'edit-error', role: 'alert' });
  const save = h('button', { type: 'submit' }, 'Save changes');
  const form = h(
    'form',
    { id: 'edit-form', class: 'row wrap' },
    field('Workers', inputs.workerReplicas),
    field('CPU', inputs.cpu),
    field('Memory', inputs.memory),
    field('Disk', inputs.diskSize),
    field('Control-plane replicas', inputs.cpReplicas),
    ackLabel,
    save,
  );

  /** What the form was filled from: the values and the object's resourceVersion. */
  let original;
  let dirty = false;
  const valuesOf = (c) => ({
    workerReplicas: c.spec?.workers?.replicas ?? 1,
    cpu: c.spec?.workers?.machineTemplate?.cpu ?? '',
    memory: c.spec?.workers?.machineTemplate?.memory ?? '',
    diskSize: c.spec?.workers?.machineTemplate?.diskSize ?? '',
    cpReplicas: c.spec?.controlPlane?.replicas ?? 1,
  });
  const fill = (force = false) => {
    const c = cluster(namespace, name);
    if (!c || (dirty && !force)) return;
    original = { values: valuesOf(c), resourceVersion: c.metadata.resourceVersion };
    for (const [key, input] of Object.entries(inputs)) input.value = String(original.values[key]);
    form.dataset.resourceVersion = original.resourceVersion;
    ack.checked = false;
    ackLabel.hidden = true;
    dirty = false;
  };
  form.addEventListener('input', () => {
    dirty = true;
    ackLabel.hidden = !(Number(original?.values.cpReplicas) === 3 && inputs.cpReplicas.value === '1');
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    status.textContent = '';
    if (!original) return;
    const o = original.values;
    const body = { resourceVersion: original.resourceVersion };
    if (Number(inputs.workerReplicas.value) !== o.workerReplicas)
      body.workers = { replicas: Number(inputs.workerReplicas.value) };
    const template = {};
    if (inputs.cpu.value !== String(o.cpu)) template.cpu = Number(inputs.cpu.value);
    if (inputs.memory.value !== String(o.memory)) template.memory = inputs.memory.value;
    if (inputs.diskSize.value !== String(o.diskSize)) template.diskSize = inputs.diskSize.value;
    if (Object.keys(template).length) body.workers = { ...body.workers, machineTemplate: template };
    if (Number(inputs.cpReplicas.value) !== o.cpReplicas)
      body.controlPlane = { replicas: Number(inputs.cpReplicas.value) };
    if (ack.checked) body.acknowledgeDowngrade = true;
    if (!body.workers && !body.controlPlane) {
      status.textContent = 'Nothing changed.';
      return;
    }
    save.disabled = true;
    try {
      const updated = await put(base, body);
      status.textContent = `Saved (resourceVersion ${updated.metadata.resourceVersion}).`;
      dirty = false;
    } catch (err) {
      error.textContent = err.status === 409 ? `${err.message} — the form now shows the current values.` : err.message;
      if (err.status === 409) fill(true);
    } finally {
      save.disabled = false;
    }
  });

  fill();
  return { el: h('div', {}, form, status, error), refresh: () => fill() };
}
