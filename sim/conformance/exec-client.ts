// A pod exec client speaking the channel.k8s.io WebSocket framing, for protocol assertions.
import type { KubeTarget } from './kube-http.js';

export interface ExecResult {
  /** Negotiated subprotocol ('' when none). */
  protocol: string;
  /** Data per channel byte, concatenated in arrival order (empty frames ignored). */
  channels: Map<number, Buffer>;
  /** Parsed channel-3 Status, when one arrived. */
  status?: any;
  closeCode: number;
}

export interface ExecRefusal {
  refusedWith: number;
  body: any;
  text: string;
}

export interface ExecInput {
  /** Frames sent right after the connection opens: [channel, payload]. */
  send?: [number, Buffer | string][];
  timeoutMs?: number;
}

export function execPath(podPath: string, command: string[], flags: Record<string, boolean>): string {
  const q = new URLSearchParams();
  for (const c of command) q.append('command', c);
  for (const [k, v] of Object.entries(flags)) if (v) q.append(k, 'true');
  return `${podPath}/exec?${q.toString()}`;
}

export function exec(
  kube: KubeTarget,
  path: string,
  protocols: string[],
  input: ExecInput = {},
): Promise<ExecResult | ExecRefusal> {
  return new Promise((resolve, reject) => {
    const ws = kube.websocket(path, protocols);
    const channels = new Map<number, Buffer>();
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`exec ${path}: no close within ${input.timeoutMs ?? 10000} ms`));
    }, input.timeoutMs ?? 10000);
    // With this listener ws leaves aborting the upgrade request to us (req.destroy below).
    ws.on('unexpected-response', (req, res) => {
      const socket = res.socket;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        socket.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ refusedWith: res.statusCode ?? 0, body, text });
      });
    });
    ws.on('open', () => {
      for (const [ch, data] of input.send ?? []) {
        ws.send(Buffer.concat([Buffer.from([ch]), Buffer.from(data)]));
      }
    });
    ws.on('message', (data: Buffer) => {
      if (data.length < 2) return;
      const ch = data[0];
      channels.set(ch, Buffer.concat([channels.get(ch) ?? Buffer.alloc(0), data.subarray(1)]));
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      const raw = channels.get(3);
      resolve({
        protocol: ws.protocol,
        channels,
        status: raw ? JSON.parse(raw.toString('utf8')) : undefined,
        closeCode: code,
      });
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export function isRefusal(r: ExecResult | ExecRefusal): r is ExecRefusal {
  return 'refusedWith' in r;
}
