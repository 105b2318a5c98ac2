// Differential probe: sends the same requests to two API servers and prints where their answers differ
// (status code, Status reason/message/details, object shapes). Used to find where the simulator departs
// from a real kube-apiserver; the findings are written down in FINDINGS.md.
//
//   node --import tsx sim/conformance/diff-probe.ts REAL.kubeconfig [OTHER.kubeconfig]
// Without OTHER, a fresh simulator is started and compared.
import { randomBytes } from 'node:crypto';
import { connect, type KubeResponse, type KubeTarget } from './kube-http.js';

interface Probe {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Summarize only these top-level keys of a success body (default: kind and metadata keys). */
  pick?: (body: any) => unknown;
}

function probes(ns: string, group: string): Probe[] {
  const cms = `/api/v1/namespaces/${ns}/configmaps`;
  const ws = `/apis/${group}/v1/namespaces/${ns}/widgets`;
  const merge = 'application/merge-patch+json';
  const cm = (name: string, extra: object = {}) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...extra },
    data: { a: '1' },
  });
  const w = (name: string, spec: object, extra: object = {}) => ({
    apiVersion: `${group}/v1`,
    kind: 'Widget',
    metadata: { name, ...extra },
    spec,
  });
  return [
    { name: 'create cm', method: 'POST', path: cms, body: cm('p1') },
    {
      name: 'create cm generateName',
      method: 'POST',
      path: cms,
      body: { ...cm(''), metadata: { generateName: 'gen-' } },
      pick: (b) => ({ name: /^gen-[a-z0-9]{5}$/.test(b.metadata?.name) }),
    },
    { name: 'create cm bad name', method: 'POST', path: cms, body: cm('Bad_Name') },
    {
      name: 'create cm no name',
      method: 'POST',
      path: cms,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
    },
    { name: 'create cm ns mismatch', method: 'POST', path: cms, body: cm('p2', { namespace: 'other' }) },
    { name: 'create cm kind mismatch', method: 'POST', path: cms, body: { ...cm('p3'), kind: 'Secret' } },
    { name: 'create cm no kind', method: 'POST', path: cms, body: { metadata: { name: 'p4' } } },
    { name: 'create cm malformed', method: 'POST', path: cms, body: '{"kind":' },
    {
      name: 'create cm yaml content type',
      method: 'POST',
      path: cms,
      body: 'kind: ConfigMap',
      contentType: 'application/yaml',
    },
    { name: 'create cm text content type', method: 'POST', path: cms, body: '{}', contentType: 'text/plain' },
    { name: 'put name mismatch', method: 'PUT', path: `${cms}/p1`, body: cm('other') },
    { name: 'put missing object', method: 'PUT', path: `${cms}/missing`, body: cm('missing') },
    { name: 'put without resourceVersion', method: 'PUT', path: `${cms}/p1`, body: cm('p1') },
    { name: 'put stale resourceVersion', method: 'PUT', path: `${cms}/p1`, body: cm('p1', { resourceVersion: '1' }) },
    { name: 'post to a named path', method: 'POST', path: `${cms}/p1`, body: cm('p1') },
    { name: 'delete missing', method: 'DELETE', path: `${cms}/missing` },
    {
      name: 'delete with uid precondition',
      method: 'DELETE',
      path: `${cms}/p1`,
      body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: 'nope' } },
    },
    { name: 'list bad label selector', method: 'GET', path: `${cms}?labelSelector=a%20in` },
    { name: 'list bad label value', method: 'GET', path: `${cms}?labelSelector=a%3D%25%25` },
    { name: 'list unknown field selector', method: 'GET', path: `${cms}?fieldSelector=spec.x%3Dy` },
    { name: 'list bad continue', method: 'GET', path: `${cms}?limit=1&continue=abc` },
    { name: 'list bad limit', method: 'GET', path: `${cms}?limit=x` },
    {
      name: 'list cm',
      method: 'GET',
      path: `${cms}?limit=1`,
      pick: (b) => ({
        kind: b.kind,
        apiVersion: b.apiVersion,
        metadataKeys: Object.keys(b.metadata ?? {}).sort(),
        remaining: b.metadata?.remainingItemCount,
        itemKind: b.items?.[0]?.kind,
      }),
    },
    {
      name: 'get cm',
      method: 'GET',
      path: `${cms}/p1`,
      pick: (b) => ({ kind: b.kind, apiVersion: b.apiVersion, metadataKeys: Object.keys(b.metadata ?? {}).sort() }),
    },
    {
      name: 'patch bad json patch',
      method: 'PATCH',
      path: `${cms}/p1`,
      body: [{ op: 'test', path: '/data/a', value: 'x' }],
      contentType: 'application/json-patch+json',
    },
    {
      name: 'patch json patch missing path',
      method: 'PATCH',
      path: `${cms}/p1`,
      body: [{ op: 'remove', path: '/data/zz' }],
      contentType: 'application/json-patch+json',
    },
    { name: 'patch malformed merge', method: 'PATCH', path: `${cms}/p1`, body: '{"data":', contentType: merge },
    { name: 'patch merge not object', method: 'PATCH', path: `${cms}/p1`, body: '[1]', contentType: merge },
    { name: 'patch text/plain', method: 'PATCH', path: `${cms}/p1`, body: '{}', contentType: 'text/plain' },
    { name: 'patch missing object', method: 'PATCH', path: `${cms}/nope`, body: {}, contentType: merge },
    { name: 'method not allowed', method: 'PUT', path: cms, body: cm('p1') },
    { name: 'unknown core resource', method: 'GET', path: `/api/v1/namespaces/${ns}/nothings` },
    { name: 'unknown subresource', method: 'GET', path: `${cms}/p1/nothing` },
    { name: 'unknown group', method: 'GET', path: '/apis/nothing.example.com/v1/things' },
    { name: 'unknown version of CRD group', method: 'GET', path: `/apis/${group}/v9/widgets` },
    { name: 'missing namespace', method: 'GET', path: `/api/v1/namespaces/nope-${ns}/configmaps/x` },
    {
      name: 'list in missing namespace',
      method: 'GET',
      path: `/api/v1/namespaces/nope-${ns}/configmaps`,
      pick: (b) => ({ kind: b.kind, n: b.items?.length }),
    },
    { name: 'get missing namespace', method: 'GET', path: `/api/v1/namespaces/nope-${ns}` },
    {
      name: 'create widget invalid',
      method: 'POST',
      path: ws,
      body: w('bad', { size: 0, color: 'pink', label: 'ABC', tags: [] }),
    },
    {
      name: 'create widget wrong types',
      method: 'POST',
      path: ws,
      body: w('bad2', { size: 'x', tags: 'y', label: 5 }),
    },
    { name: 'create widget too long', method: 'POST', path: ws, body: w('bad3', { size: 11, label: 'abcdefghij' }) },
    {
      name: 'create widget no spec',
      method: 'POST',
      path: ws,
      body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'nospec' } },
      pick: (b) => b.spec ?? b.message,
    },
    {
      name: 'create widget',
      method: 'POST',
      path: ws,
      body: w('w1', { size: 1 }, { finalizers: ['x.io/y'] }),
      pick: (b) => ({
        kind: b.kind,
        metadataKeys: Object.keys(b.metadata ?? {}).sort(),
        spec: b.spec,
        gen: b.metadata?.generation,
      }),
    },
    {
      name: 'widget strategic patch',
      method: 'PATCH',
      path: `${ws}/w1`,
      body: {},
      contentType: 'application/strategic-merge-patch+json',
    },
    {
      name: 'widget merge patch invalid',
      method: 'PATCH',
      path: `${ws}/w1`,
      body: { spec: { size: 0 } },
      contentType: merge,
    },
    { name: 'widget status put missing', method: 'PUT', path: `${ws}/missing/status`, body: w('missing', { size: 1 }) },
    {
      name: 'widget delete with finalizer',
      method: 'DELETE',
      path: `${ws}/w1`,
      pick: (b) => ({
        kind: b.kind,
        deleting: typeof b.metadata?.deletionTimestamp,
        grace: b.metadata?.deletionGracePeriodSeconds,
        gen: b.metadata?.generation,
      }),
    },
    {
      name: 'widget delete again',
      method: 'DELETE',
      path: `${ws}/w1`,
      pick: (b) => ({ kind: b.kind, deleting: typeof b.metadata?.deletionTimestamp }),
    },
    {
      name: 'widget add finalizer while deleting',
      method: 'PATCH',
      path: `${ws}/w1`,
      body: { metadata: { finalizers: ['x.io/y', 'x.io/z'] } },
      contentType: merge,
    },
    {
      name: 'widget remove finalizers',
      method: 'PATCH',
      path: `${ws}/w1`,
      body: { metadata: { finalizers: null } },
      contentType: merge,
      pick: (b) => ({ kind: b.kind, deleting: typeof b.metadata?.deletionTimestamp }),
    },
    {
      name: 'delete cm returns',
      method: 'DELETE',
      path: `${cms}/p1`,
      pick: (b) => ({
        kind: b.kind,
        status: b.status,
        details: b.details,
        metadataKeys: Object.keys(b.metadata ?? {}).sort(),
      }),
    },
    {
      name: 'discovery core configmaps',
      method: 'GET',
      path: '/api/v1',
      pick: (b) => b.resources?.find((r: any) => r.name === 'configmaps'),
    },
    {
      name: 'discovery widgets',
      method: 'GET',
      path: `/apis/${group}/v1`,
      pick: (b) => ({ ...b.resources?.find((r: any) => r.name === 'widgets'), storageVersionHash: undefined }),
    },
    {
      name: 'discovery widgets/status',
      method: 'GET',
      path: `/apis/${group}/v1`,
      pick: (b) => b.resources?.find((r: any) => r.name === 'widgets/status'),
    },
    { name: 'widget put without rv', method: 'PUT', path: `${ws}/w2`, body: w('w2', { size: 2 }) },
    {
      name: 'widget create w2',
      method: 'POST',
      path: ws,
      body: { ...w('w2', { size: 2 }), status: { phase: 'x' } },
      pick: (b) => ({ status: b.status, gen: b.metadata?.generation }),
    },
    { name: 'widget put without rv existing', method: 'PUT', path: `${ws}/w2`, body: w('w2', { size: 3 }) },
    {
      name: 'widget dry run create',
      method: 'POST',
      path: `${ws}?dryRun=All`,
      body: w('dry', { size: 2 }),
      pick: (b) => ({ kind: b.kind, rv: b.metadata?.resourceVersion, uid: typeof b.metadata?.uid }),
    },
    { name: 'widget dry run not stored', method: 'GET', path: `${ws}/dry` },
    { name: 'widget bad dryRun value', method: 'POST', path: `${ws}?dryRun=Some`, body: w('dry2', { size: 2 }) },
    { name: 'cm invalid label', method: 'POST', path: cms, body: cm('lbl', { labels: { 'bad key!': 'v' } }) },
    {
      name: 'secret bad base64',
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/secrets`,
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, data: { a: '!!!' } },
    },
    {
      name: 'secret stringData',
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/secrets`,
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's2' }, stringData: { a: 'hi' } },
      pick: (b) => ({ data: b.data, stringData: b.stringData, type: b.type }),
    },
    {
      name: 'deletecollection cm',
      method: 'DELETE',
      path: `${cms}?labelSelector=none%3Dx`,
      pick: (b) => ({ kind: b.kind, n: b.items?.length, metadataKeys: Object.keys(b.metadata ?? {}).sort() }),
    },
    {
      name: 'list rv 0',
      method: 'GET',
      path: `${cms}?resourceVersion=0&limit=1`,
      pick: (b) => ({ kind: b.kind, cont: typeof b.metadata?.continue }),
    },
    {
      name: 'node create',
      method: 'POST',
      path: '/api/v1/nodes',
      body: { apiVersion: 'v1', kind: 'Node', metadata: { name: `${ns}-node` } },
      pick: (b) => ({ status: b.status, spec: b.spec }),
    },
    {
      name: 'node delete',
      method: 'DELETE',
      path: `/api/v1/nodes/${ns}-node`,
      pick: (b) => ({ kind: b.kind, status: b.status }),
    },
    {
      name: 'pod no containers',
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/pods`,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } },
    },
    { name: 'namespace delete', method: 'DELETE', path: `/api/v1/namespaces/${ns}-x` },
    { name: 'watch bad rv', method: 'GET', path: `${cms}?watch=1&resourceVersion=abc&timeoutSeconds=1` },
    { name: 'get bad rv', method: 'GET', path: `${cms}?resourceVersion=abc` },
  ];
}

function summarize(res: KubeResponse, probe: Probe, names: [string, string][]): string {
  let out: unknown;
  if (res.body?.kind === 'Status') {
    const { status, reason, message, details, code } = res.body;
    out = { status, reason, message, details, code };
  } else if (res.status < 300 && res.body && probe.pick) {
    out = probe.pick(res.body);
  } else if (res.body) {
    out = { kind: res.body.kind };
  } else {
    out = { text: res.text.slice(0, 200), contentType: res.headers['content-type'] };
  }
  let s = `${res.status} ${JSON.stringify(out)}`;
  for (const [from, to] of names) s = s.split(from).join(to);
  return s;
}

async function run(kube: KubeTarget): Promise<Map<string, string>> {
  const id = randomBytes(3).toString('hex');
  const ns = `probe-${id}`;
  const group = `p${id}.conformance.butler.test`;
  const names: [string, string][] = [
    [group, '<GROUP>'],
    [ns, '<NS>'],
  ];
  await kube.request('POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
  });
  const { widgetCrd } = await import('./fixtures.js');
  const crd = JSON.parse(JSON.stringify(widgetCrd).split(widgetCrd.spec.group).join(group));
  await kube.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
    body: crd,
  });
  for (let i = 0; i < 100; i++) {
    if ((await kube.request('GET', `/apis/${group}/v1/namespaces/${ns}/widgets`)).status === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const results = new Map<string, string>();
  for (const p of probes(ns, group)) {
    const res = await kube.request(p.method, p.path, {
      body: p.body,
      contentType: p.contentType,
      headers: p.headers,
    });
    results.set(p.name, summarize(res, p, names));
  }
  await kube.request('DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
  await kube.request('DELETE', `/api/v1/namespaces/${ns}`);
  return results;
}

const [realPath, otherPath] = process.argv.slice(2);
if (!realPath) {
  console.error('usage: diff-probe.ts REAL.kubeconfig [OTHER.kubeconfig]');
  process.exit(2);
}
const { startSimulator } = await import('../index.js');
const sim = otherPath ? undefined : await startSimulator();
const real = await connect(realPath);
const other = await connect(otherPath ?? sim!.kubeconfigPath);
try {
  const a = await run(real);
  const b = await run(other);
  let differ = 0;
  for (const [name, ra] of a) {
    const rb = b.get(name);
    if (ra === rb) continue;
    differ++;
    console.log(`## ${name}\n  real : ${ra}\n  other: ${rb}`);
  }
  console.log(`${a.size - differ} probes agree, ${differ} differ`);
} finally {
  real.close();
  other.close();
  await sim?.stop();
}
