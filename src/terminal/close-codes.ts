// Close codes and the red setup/limit line of docs/api.md §6.1 / §6.3.

export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  tooLarge: 1009,
  internalError: 1011,
  tryAgainLater: 1013,
  unauthenticated: 4401,
  forbidden: 4403,
  notFound: 4404,
  takenOver: 4409,
  tooMany: 4429,
} as const;

/** One red line, as every refusal and limit is reported to the terminal before the close. */
export function redLine(message: string): string {
  return `\x1b[31m${message}\x1b[0m\r\n`;
}

/** The OSC 7717 sequence that hands the session id to reattach-aware clients; plain terminals drop it silently. */
export function sessionIdSequence(id: string): string {
  return `\x1b]7717;butler-session=${id}\x07`;
}

/** `30 minutes`, `8 hours`, `1 hour 30 minutes`, `2 seconds`: for the idle and lifetime lines. */
export function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  const parts: string[] = [];
  let left = Math.max(0, Math.round(ms / 1000) * 1000);
  for (const [size, name] of units) {
    const n = Math.floor(left / size);
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
    left -= n * size;
  }
  return parts.length ? parts.slice(0, 2).join(' ') : `${ms} ms`;
}
