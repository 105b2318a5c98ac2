import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAddressGuard } from '../net/address-guard.js';
import { nutanixUrl, proxmoxUrl, runProviderCheck, type CheckEnv } from './checks.js';
import { checkUntrustedKubeconfig } from '../kube/kubeconfig-check.js';
import { sendJson, startTlsServer, type TlsTestServer } from '../../test/helpers/tls-server.js';

const loopbackAllowed: CheckEnv = {
  guard: createAddressGuard({ allowedCidrs: ['127.0.0.0/8'] }),
  timeoutMs: 2000,
};

describe('address guard', () => {
  const guard = createAddressGuard({});
  it('blocks the default ranges, IPv4-mapped IPv6 included, and keeps private ranges allowed', () => {
    assert.deepEqual(guard.check('169.254.169.254'), { allowed: false, range: '169.254.0.0/16' });
    assert.deepEqual(guard.check('127.0.0.1'), { allowed: false, range: '127.0.0.0/8' });
    assert.deepEqual(guard.check('::ffff:127.0.0.1'), { allowed: false, range: '127.0.0.0/8' });
    assert.deepEqual(guard.check('::1'), { allowed: false, range: '::1/128' });
    assert.deepEqual(guard.check('fe80::1'), { allowed: false, range: 'fe80::/10' });
    assert.deepEqual(guard.check('100.100.100.200'), { allowed: false, range: '100.100.100.200/32' });
    assert.deepEqual(guard.check('0.0.0.0'), { allowed: false, range: '0.0.0.0/8' });
    assert.deepEqual(guard.check('239.1.1.1'), { allowed: false, range: '224.0.0.0/4' });
    assert.deepEqual(guard.check('10.1.2.3'), { allowed: true });
    assert.deepEqual(guard.check('192.168.1.10'), { allowed: true });
    assert.deepEqual(guard.check('2001:db8::1'), { allowed: true });
  });
  it('allowed CIDRs carve exceptions and a blocked list replaces the default', () => {
    const g = createAddressGuard({ allowedCidrs: ['127.0.0.0/8'] });
    assert.deepEqual(g.check('127.0.0.1'), { allowed: true });
    assert.equal(g.check('169.254.169.254').allowed, false);
    const replaced = createAddressGuard({ blockedCidrs: ['10.0.0.0/8'] });
    assert.deepEqual(replaced.check('127.0.0.1'), { allowed: true });
    assert.deepEqual(replaced.check('10.9.9.9'), { allowed: false, range: '10.0.0.0/8' });
  });
});

describe('URL building', () => {
  it('adds the nutanix port only when the endpoint has none, and strips trailing slashes and /api2/json', () => {
    assert.equal(nutanixUrl('https://pc.example').href, 'https://pc.example:9440/api/nutanix/v3/clusters/list');
    assert.equal(nutanixUrl('https://pc.example:9440/').href, 'https://pc.example:9440/api/nutanix/v3/clusters/list');
    assert.equal(
      nutanixUrl('https://pc.example:8443', 9440).href,
      'https://pc.example:8443/api/nutanix/v3/clusters/list',
    );
    assert.equal(
      nutanixUrl('https://pc.example/prism/', 1234).href,
      'https://pc.example:1234/prism/api/nutanix/v3/clusters/list',
    );
    assert.equal(proxmoxUrl('https://pve:8006/api2/json/', '/version').href, 'https://pve:8006/api2/json/version');
    assert.equal(proxmoxUrl('https://pve:8006', '/access/ticket').href, 'https://pve:8006/api2/json/access/ticket');
  });
});

describe('provider checks against loopback servers', () => {
  let nutanix: TlsTestServer;
  let proxmox: TlsTestServer;
  let plain: http.Server;
  let plainUrl: string;

  before(async () => {
    const good = `Basic ${Buffer.from('admin:s3cret').toString('base64')}`;
    nutanix = await startTlsServer((req, res) => {
      if (req.method !== 'POST' || req.url !== '/api/nutanix/v3/clusters/list') return sendJson(res, 404, {});
      if (req.headers.authorization !== good) return sendJson(res, 401, { message: 'secret detail' });
      sendJson(res, 200, { api_version: '3.1', metadata: { kind: 'cluster' }, entities: [] });
    });
    proxmox = await startTlsServer((req, res) => {
      if (req.url === '/api2/json/version') {
        if (req.headers.authorization !== 'PVEAPIToken=root@pam!ci=abc-123') return sendJson(res, 401, { data: null });
        return sendJson(res, 200, { data: { version: '8.2.4', release: '8.2' } });
      }
      if (req.url === '/api2/json/access/ticket' && req.method === 'POST') {
        const form = new URLSearchParams(req.body);
        if (form.get('username') === 'root@pam' && form.get('password') === 'p&ss=word')
          return sendJson(res, 200, { data: { ticket: 'PVE:root@pam:XYZ', username: 'root@pam' } });
        if (form.get('username') === 'noticket@pam') return sendJson(res, 200, { data: null });
        return sendJson(res, 401, { data: null });
      }
      sendJson(res, 404, {});
    });
    plain = http.createServer((req, res) => {
      if (req.url?.startsWith('/redirect')) {
        res.writeHead(302, { location: 'http://127.0.0.1:1/' });
        return res.end();
      }
      if (req.url?.startsWith('/huge')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(Buffer.alloc(1024 * 1024 + 10, 'a'));
        return;
      }
      if (req.url?.startsWith('/html')) {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html></html>');
      }
      if (req.url?.startsWith('/error')) return sendJson(res, 500, { error: 'boom' });
      if (req.url?.startsWith('/hang')) return; // never answers
      sendJson(res, 404, {});
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
  });
  after(async () => {
    await nutanix?.close();
    await proxmox?.close();
    plain?.closeAllConnections();
    await new Promise<void>((resolve) => plain?.close(() => resolve()));
  });

  it('nutanix: verified TLS fails on a self-signed certificate', async () => {
    const r = await runProviderCheck(loopbackAllowed, {
      provider: 'nutanix',
      endpoint: nutanix.url,
      username: 'admin',
      password: 's3cret',
    });
    assert.equal(r.valid, false);
    assert.equal(r.reason, 'TLSError');
    assert.match(r.message, /^TLS verification failed: .+; enable insecure only for a trusted network$/);
  });

  it('nutanix: insecure with the right credentials succeeds, with the Prism request of the contract', async () => {
    const before = nutanix.requests.length;
    const r = await runProviderCheck(loopbackAllowed, {
      provider: 'nutanix',
      endpoint: `${nutanix.url}/`,
      insecure: true,
      username: 'admin',
      password: 's3cret',
    });
    assert.deepEqual(r, {
      valid: true,
      message: 'Connected to Nutanix Prism Central successfully',
      reason: 'Connected',
    });
    const req = nutanix.requests[before]!;
    assert.equal(req.body, '{"kind":"cluster"}');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers.accept, 'application/json');
  });

  it('nutanix: wrong credentials give the authentication message without the body', async () => {
    const r = await runProviderCheck(loopbackAllowed, {
      provider: 'nutanix',
      endpoint: nutanix.url,
      insecure: true,
      username: 'admin',
      password: 'wrong',
    });
    assert.deepEqual(r, {
      valid: false,
      message: 'authentication failed: invalid credentials (HTTP 401)',
      reason: 'AuthenticationFailed',
    });
  });

  it('proxmox: token form succeeds with the version and fails with a wrong token', async () => {
    const ok = await runProviderCheck(loopbackAllowed, {
      provider: 'proxmox',
      endpoint: `${proxmox.url}/api2/json`,
      insecure: true,
      tokenId: 'root@pam!ci',
      tokenSecret: 'abc-123',
    });
    assert.deepEqual(ok, {
      valid: true,
      message: 'Connected to Proxmox VE successfully (version 8.2.4)',
      reason: 'Connected',
      providerVersion: '8.2.4',
    });
    const bad = await runProviderCheck(loopbackAllowed, {
      provider: 'proxmox',
      endpoint: proxmox.url,
      insecure: true,
      tokenId: 'root@pam!ci',
      tokenSecret: 'nope',
    });
    assert.equal(bad.message, 'authentication failed: invalid credentials (HTTP 401)');
    const tls = await runProviderCheck(loopbackAllowed, {
      provider: 'proxmox',
      endpoint: proxmox.url,
      tokenId: 'root@pam!ci',
      tokenSecret: 'abc-123',
    });
    assert.equal(tls.reason, 'TLSError');
  });

  it('proxmox: password form posts URL-encoded credentials; a missing ticket is an authentication failure', async () => {
    const ok = await runProviderCheck(loopbackAllowed, {
      provider: 'proxmox',
      endpoint: proxmox.url,
      insecure: true,
      username: 'root@pam',
      password: 'p&ss=word',
    });
    assert.deepEqual(ok, { valid: true, message: 'Connected to Proxmox VE successfully', reason: 'Connected' });
    const last = proxmox.requests.at(-1)!;
    assert.equal(last.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(last.body, 'username=root%40pam&password=p%26ss%3Dword');
    const wrong = await runProviderCheck(loopbackAllowed, {
      provider: 'proxmox',
      endpoint: proxmox.url,
      insecure: true,
      username: 'root@pam',
      password: 'x',
    });
    assert.equal(wrong.message, 'authentication failed: invalid credentials (HTTP 401)');
    const noTicket = await runProviderCheck(loopbackAllowed, {
      provider: 'proxmox',
      endpoint: proxmox.url,
      insecure: true,
      username: 'noticket@pam',
      password: 'x',
    });
    assert.equal(noTicket.reason, 'AuthenticationFailed');
  });

  it('harvester: GET /version with the kubeconfig token, TLS verified against its CA data', async () => {
    const k8s = await startTlsServer((req, res) => {
      if (req.url === '/version' && req.headers.authorization === 'Bearer harvester-token')
        return sendJson(res, 200, { gitVersion: 'v1.29.4', major: '1', minor: '29' });
      sendJson(res, 401, { kind: 'Status' });
    });
    try {
      const kubeconfig = (token: string, ca: boolean) =>
        checkUntrustedKubeconfig(
          JSON.stringify({
            clusters: [
              {
                name: 'h',
                cluster: {
                  server: k8s.url,
                  ...(ca ? { 'certificate-authority-data': k8s.cert.toString('base64') } : {}),
                },
              },
            ],
            users: [{ name: 'u', user: { token } }],
            contexts: [{ name: 'c', context: { cluster: 'h', user: 'u' } }],
            'current-context': 'c',
          }),
        );
      const ok = await runProviderCheck(loopbackAllowed, {
        provider: 'harvester',
        kubeconfig: kubeconfig('harvester-token', true),
      });
      assert.deepEqual(ok, {
        valid: true,
        message: 'Connected successfully (Kubernetes v1.29.4)',
        reason: 'Connected',
        providerVersion: 'v1.29.4',
      });
      const noCa = await runProviderCheck(loopbackAllowed, {
        provider: 'harvester',
        kubeconfig: kubeconfig('harvester-token', false),
      });
      assert.equal(noCa.reason, 'TLSError');
      const bad = await runProviderCheck(loopbackAllowed, {
        provider: 'harvester',
        kubeconfig: kubeconfig('wrong', true),
      });
      assert.equal(bad.message, 'authentication failed: invalid credentials (HTTP 401)');
    } finally {
      await k8s.close();
    }
  });

  it('the address guard blocks 127.0.0.1 by default, before connecting', async () => {
    const before = nutanix.requests.length;
    const r = await runProviderCheck(
      { guard: createAddressGuard({}), timeoutMs: 2000 },
      { provider: 'nutanix', endpoint: nutanix.url, insecure: true, username: 'admin', password: 's3cret' },
    );
    assert.deepEqual(r, {
      valid: false,
      message: 'endpoint address 127.0.0.1 is not allowed (blocked range 127.0.0.0/8)',
      reason: 'Blocked',
    });
    assert.equal(nutanix.requests.length, before);
    const byName = await runProviderCheck(
      { guard: createAddressGuard({}), timeoutMs: 2000 },
      { provider: 'proxmox', endpoint: `https://localhost:${proxmox.port}`, tokenId: 'a@b!c', tokenSecret: 'x' },
    );
    assert.equal(byName.reason, 'Blocked');
    assert.match(
      byName.message,
      /^endpoint address (127\.0\.0\.1|::1) is not allowed \(blocked range (127\.0\.0\.0\/8|::1\/128)\)$/,
    );
  });

  it('redirects, API errors, non-API answers, oversized answers, refusals and timeouts', async () => {
    const check = (path: string, timeoutMs = 2000) =>
      runProviderCheck(
        { ...loopbackAllowed, timeoutMs },
        { provider: 'proxmox', endpoint: `${plainUrl}${path}`, tokenId: 'a@b!c', tokenSecret: 'x' },
      );
    // proxmox appends /api2/json/version to the endpoint path; the plain server matches on the prefix
    assert.equal(
      (await check('/redirect')).message,
      'endpoint answered with a redirect (HTTP 302); use the final API address',
    );
    assert.equal((await check('/error')).message, 'API error: HTTP 500');
    assert.equal((await check('/html')).message, 'unexpected response: 127.0.0.1 does not look like a Proxmox VE API');
    assert.equal((await check('/huge')).message, 'response too large');
    const started = Date.now();
    const hung = await check('/hang', 1000);
    assert.equal(hung.message, 'connection failed: no answer within 1 s');
    assert.ok(Date.now() - started < 3000);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await runProviderCheck(loopbackAllowed, {
      provider: 'proxmox',
      endpoint: `http://127.0.0.1:${port}`,
      tokenId: 'a@b!c',
      tokenSecret: 'x',
    });
    assert.equal(refused.message, `connection failed: 127.0.0.1:${port} refused the connection`);
    const unresolvable = await runProviderCheck(loopbackAllowed, {
      provider: 'proxmox',
      endpoint: 'https://no-such-host.invalid',
      tokenId: 'a@b!c',
      tokenSecret: 'x',
    });
    assert.equal(unresolvable.message, 'connection failed: cannot resolve no-such-host.invalid');
  });
});
