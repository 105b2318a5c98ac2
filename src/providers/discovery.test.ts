// Discovery details the stand-ins do not cover, against loopback HTTPS servers: Proxmox with a password (a ticket from
// /access/ticket sent as cookie) and without configured nodes (GET /nodes), a ticket refused, and an answer that is
// not JSON.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAddressGuard } from '../net/address-guard.js';
import { sendJson, startTlsServer, type TlsTestServer } from '../../test/helpers/tls-server.js';
import type { CheckEnv } from './checks.js';
import { discover, DiscoveryFailure } from './discovery.js';

const env: CheckEnv = { guard: createAddressGuard({ allowedCidrs: ['127.0.0.0/8'] }), timeoutMs: 5000 };
let pve: TlsTestServer;

before(async () => {
  pve = await startTlsServer((req, res) => {
    if (req.method === 'POST' && req.url === '/api2/json/access/ticket') {
      const form = new URLSearchParams(req.body);
      if (form.get('username') === 'root@pam' && form.get('password') === 'p&ss')
        return sendJson(res, 200, { data: { ticket: 'PVE:root@pam:T1', CSRFPreventionToken: 'x' } });
      return sendJson(res, 401, { data: null });
    }
    if (req.headers.cookie !== 'PVEAuthCookie=PVE:root@pam:T1') return sendJson(res, 401, { data: null });
    if (req.url === '/api2/json/nodes') return sendJson(res, 200, { data: [{ node: 'a' }, { node: 'b' }] });
    if (req.url === '/api2/json/nodes/a/storage?content=images')
      return sendJson(res, 200, { data: [{ storage: 'nfs', type: 'nfs' }] });
    if (req.url === '/api2/json/nodes/b/storage?content=images')
      return sendJson(res, 200, {
        data: [
          { storage: 'nfs', type: 'nfs' },
          { storage: 'zfs', type: 'zfspool' },
        ],
      });
    if (req.url === '/api2/json/nodes/a/qemu') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html>proxy error</html>');
    }
    sendJson(res, 404, { data: null });
  });
});
after(() => pve?.close());

const proxmox = (password: string) =>
  ({ provider: 'proxmox', endpoint: pve.url, insecure: true, username: 'root@pam', password }) as const;

describe('Proxmox discovery', () => {
  it('logs in with a password, asks every node when none is configured, and merges what several have', async () => {
    const items = await discover(env, proxmox('p&ss'), 'storage-containers');
    assert.deepEqual(items, [
      { name: 'nfs', id: 'nfs', description: 'nfs', nodes: ['a', 'b'] },
      { name: 'zfs', id: 'zfs', description: 'zfspool', nodes: ['b'] },
    ]);
    const ticket = pve.requests.find((r) => r.url === '/api2/json/access/ticket');
    assert.equal(ticket?.headers['content-type'], 'application/x-www-form-urlencoded');
  });

  it('a refused password and an answer that is not JSON are DiscoveryFailures with their reason', async () => {
    await assert.rejects(discover(env, proxmox('wrong'), 'images'), (err: unknown) => {
      assert.ok(err instanceof DiscoveryFailure);
      assert.equal(err.reason, 'AuthenticationFailed');
      return true;
    });
    await assert.rejects(
      discover(env, proxmox('p&ss'), 'images', { proxmoxNodes: ['a'] }),
      (err: unknown) =>
        err instanceof DiscoveryFailure && err.reason === 'APIError' && /did not answer JSON/.test(err.message),
    );
  });
});
