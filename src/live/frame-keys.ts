// Coalescing keys (see coalescing-sender.ts): a slow socket keeps only the latest pending frame per key. An object's
// frames use its own key (`namespace/name`); the frames that are not about one object use these, which start with
// NUL and so never collide with an object's key.
export const FRAME_KEY = {
  /** The first full list a socket gets. */
  snapshot: '\u0000snapshot',
  /** A full list that replaces everything the socket had (and everything pending for it). */
  resync: '\u0000resync',
  /** The answer to an application-level `{"type":"ping"}`. */
  pong: '\u0000pong',
} as const;

/** Advisory messages (notifications) rotate through a bounded number of keys, so a slow socket holds at most that many. */
export const messageKey = (channel: string, slot: number): string => `\u0000${channel}:${slot}`;
