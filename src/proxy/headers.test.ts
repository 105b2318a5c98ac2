import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { downstreamResponseHeaders, switchingProtocolsHead, upstreamRequestHeaders } from './headers.js';

describe('proxy header rules', () => {
  it('drops credentials, identity, forwarding and hop-by-hop headers from requests', () => {
    const out = upstreamRequestHeaders({
      host: 'butler.example',
      authorization: 'Bearer t',
      cookie: 'butler_token=t',
      'impersonate-user': 'a',
      'impersonate-extra-scopes': 'b',
      'x-remote-user': 'c',
      'x-remote-extra-x': 'd',
      'x-forwarded-for': '1.2.3.4',
      forwarded: 'for=1.2.3.4',
      connection: 'keep-alive, X-Private',
      'x-private': 'p',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      'transfer-encoding': 'chunked',
      upgrade: 'websocket',
      'content-type': 'application/apply-patch+yaml',
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      'user-agent': 'kubectl',
    });
    assert.deepEqual(out, {
      'content-type': 'application/apply-patch+yaml',
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      'user-agent': 'kubectl',
    });
  });

  it('drops Set-Cookie and hop-by-hop headers from responses', () => {
    const out = downstreamResponseHeaders({
      'set-cookie': ['a=b', 'c=d'],
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
      connection: 'close',
      'audit-id': 'x',
    });
    assert.deepEqual(out, { 'content-type': 'application/json', 'audit-id': 'x' });
  });

  it('relays a 101 answer without Set-Cookie', () => {
    const head = switchingProtocolsHead('Switching Protocols', [
      'Upgrade',
      'websocket',
      'Connection',
      'Upgrade',
      'Set-Cookie',
      'x=y',
      'Sec-WebSocket-Protocol',
      'v5.channel.k8s.io',
    ]);
    assert.equal(
      head,
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n',
    );
  });
});
