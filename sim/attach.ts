// Pod attach for the simulator: `GET .../pods/{pod}/attach?...` upgraded to a WebSocket on the same channel protocols
// as exec, connected to the stdio of a container the kubelet runs (sim/kubelet.ts). Closing the stream leaves the
// container running (stdinOnce is not simulated); the container's exit ends every attached stream.
import type { WebSocket, RawData } from 'ws';
import {
  RESIZE,
  ResizeDecoder,
  STATUS,
  STDIN,
  STDOUT,
  decodeFrame,
  encodeFrame,
  exitCodeStatus,
  statusPayload,
  successStatus,
  type ExecProtocol,
} from './exec-protocol.js';
import type { SandboxProcess } from './pod-sandbox.js';

export function attachSession(
  ws: WebSocket,
  protocol: ExecProtocol,
  container: SandboxProcess,
  o: { stdin: boolean; tty: boolean; command: string[] },
): Promise<void> {
  const resizes = new ResizeDecoder();
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(encodeFrame(protocol, channel, data));
  };
  send(STDOUT, Buffer.alloc(0));
  const unsubscribe = container.onOutput((d) => send(STDOUT, d));
  ws.on('error', () => {});
  ws.on('message', (raw: RawData, isBinary: boolean) => {
    const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    const frame = decodeFrame(protocol, buf, isBinary);
    if (!frame) return;
    if (frame.channel === STDIN && o.stdin && frame.data.length > 0) container.write(frame.data);
    if (frame.channel === RESIZE && o.tty && protocol.version >= 4)
      for (const { cols, rows } of resizes.push(frame.data)) container.resize(cols, rows);
  });
  return new Promise((resolve) => {
    const closed = () => {
      unsubscribe();
      resolve();
    };
    ws.once('close', closed);
    void container.exited.then((code) => {
      const payload = statusPayload(protocol, code === 0 ? successStatus() : exitCodeStatus(protocol, o.command, code));
      if (payload) send(STATUS, payload);
      if (ws.readyState === ws.OPEN) ws.close(1000);
    });
  });
}
