// Removing any verb of the deploy/ Roles (revocation ConfigMaps, provider credential Secrets) breaks some feature
// with a 403 from the API server. (Terminal shell pods: deploy/base/terminal.yaml.)
import { after, before, test } from 'node:test';
import { proveVerbIsUsed, verbCases } from './every-verb.js';
import { startWorld, type World } from './scenario.js';

let world: World;
before(async () => {
  world = await startWorld();
});
after(() => world?.close());

for (const role of [
  'butler-server-revocations',
  'butler-server-provider-credentials',
  'butler-server-sso-secrets',
  'butler-server-terminal-pods',
]) {
  test(`every verb of Role ${role} is needed`, async (t) => {
    for (const c of await verbCases('Role', role)) {
      await t.test(`${c.verb} ${c.resources.join(',')}`, async (st) => {
        st.diagnostic(await proveVerbIsUsed(world, 'Role', role, c));
      });
    }
  });
}
