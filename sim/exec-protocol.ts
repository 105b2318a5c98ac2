// Wire format of the Kubernetes remote-command WebSocket protocols, as the kubelet (v4 and older) and the
// API server's stream translator (v5) speak them.

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const STATUS = 3;
export const RESIZE = 4;
/** v5 only: `[255, channel]` closes that channel (clients use it to close stdin). */
export const CLOSE = 255;

export interface ExecProtocol {
  /** The negotiated subprotocol; '' when the client offered none (the kubelet then speaks channel.k8s.io). */
  name: string;
  /** Binary frames (channel byte + data) or text frames (channel digit + base64 data). */
  binary: boolean;
  /** 1: no resize channel, failure text on channel 3; 4: Status JSON on channel 3; 5: 4 plus channel 255. */
  version: 1 | 4 | 5;
}

// Exactly the WebSocket subprotocols a v1.32 cluster accepts for exec: v5 at the API server (stream
// translator), the rest at the kubelet. The SPDY names v2/v3.channel.k8s.io are not WebSocket protocols there.
const PROTOCOLS: ReadonlyMap<string, ExecProtocol> = new Map(
  (
    [
      ['v5.channel.k8s.io', true, 5],
      ['v4.channel.k8s.io', true, 4],
      ['v4.base64.channel.k8s.io', false, 4],
      ['channel.k8s.io', true, 1],
      ['base64.channel.k8s.io', false, 1],
    ] as const
  ).map(([name, binary, version]) => [name, { name, binary, version }]),
);

const NO_PROTOCOL: ExecProtocol = { name: '', binary: true, version: 1 };

/** Splits a Sec-WebSocket-Protocol header into the offered names, in the client's order. */
export function offeredProtocols(header: string | string[] | undefined): string[] {
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '');
  return raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/**
 * Like the server's handshake: the first protocol the client offers that the server supports wins.
 * No offer at all means the unversioned binary protocol; offers that are all unknown → undefined (403).
 */
export function negotiateProtocol(offered: Iterable<string>): ExecProtocol | undefined {
  let any = false;
  for (const name of offered) {
    any = true;
    const p = PROTOCOLS.get(name);
    if (p) return p;
  }
  return any ? undefined : NO_PROTOCOL;
}

export function protocolByName(name: string): ExecProtocol {
  return PROTOCOLS.get(name) ?? NO_PROTOCOL;
}

export function encodeFrame(protocol: ExecProtocol, channel: number, data: Buffer): Buffer | string {
  if (protocol.binary) return Buffer.concat([Buffer.of(channel), data]);
  return String.fromCharCode(48 + channel) + data.toString('base64');
}

export function decodeFrame(
  protocol: ExecProtocol,
  message: Buffer,
  isBinary: boolean,
): { channel: number; data: Buffer } | undefined {
  if (message.length === 0) return undefined;
  if (protocol.binary) {
    if (!isBinary) return undefined;
    return { channel: message[0]!, data: message.subarray(1) };
  }
  if (isBinary) return undefined;
  const channel = message[0]! - 48;
  if (channel < 0 || channel > 9) return undefined;
  return { channel, data: Buffer.from(message.subarray(1).toString('latin1'), 'base64') };
}

/** Collects resize requests from channel 4: a stream of JSON TerminalSize objects (Go decodes field names case-insensitively). */
export class ResizeDecoder {
  private buffered = '';

  push(data: Buffer): { cols: number; rows: number }[] {
    this.buffered += data.toString('utf8');
    const sizes: { cols: number; rows: number }[] = [];
    for (;;) {
      const end = this.buffered.indexOf('}');
      if (end < 0) break;
      const start = this.buffered.indexOf('{');
      const text = this.buffered.slice(start < 0 || start > end ? 0 : start, end + 1);
      this.buffered = this.buffered.slice(end + 1);
      const size = parseTerminalSize(text);
      if (size) sizes.push(size);
    }
    if (this.buffered.length > 4096) this.buffered = '';
    return sizes;
  }
}

function parseTerminalSize(text: string): { cols: number; rows: number } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  let cols = 0;
  let rows = 0;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) continue;
    if (key.toLowerCase() === 'width') cols = v;
    if (key.toLowerCase() === 'height') rows = v;
  }
  return { cols, rows };
}

/** metav1.Status as the exec error channel carries it (no kind/apiVersion, like the Go marshalling). */
export interface ExecStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason?: string; message: string }[] };
  code?: number;
}

export function successStatus(): ExecStatus {
  return { metadata: {}, status: 'Success' };
}

/**
 * A command that ran and exited non-zero. The kubelet (v4 and older) reports the container runtime's error;
 * the API server's v5 translator re-wraps the message its SPDY client decoded from the kubelet.
 */
export function exitCodeStatus(protocol: ExecProtocol, command: string[], exitCode: number): ExecStatus {
  const inner =
    protocol.version === 5
      ? `command terminated with exit code ${exitCode}`
      : `error executing command [${command.join(' ')}], exit code ${exitCode}`;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: ${inner}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** A command that could not be started: the kubelet answers an InternalError (v5 wraps it once more). */
export function startFailureStatus(protocol: ExecProtocol, runtimeError: string): ExecStatus {
  let error = `error executing command in container: ${runtimeError}`;
  if (protocol.version === 5) error = `Internal error occurred: ${error}`;
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${error}`,
    reason: 'InternalError',
    details: { causes: [{ message: error }] },
    code: 500,
  };
}

/** What goes on channel 3 at the end; pre-v4 protocols send only a failure's message text, nothing on success. */
export function statusPayload(protocol: ExecProtocol, status: ExecStatus): Buffer | undefined {
  if (protocol.version >= 4) return Buffer.from(JSON.stringify(status));
  if (status.status === 'Success') return undefined;
  return Buffer.from(status.message ?? '');
}
