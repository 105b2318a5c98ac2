// Advisory messages (notifications) to live sockets: each message is serialised once and sent to the sockets whose
// reader may see it. They are advisory: a socket that is behind (coalescing) skips them, and they rotate through
// `slots` coalescing keys, so they never cost more than a bounded amount per socket.
import type { CoalescingSender } from './coalescing-sender.js';
import { messageKey } from './frame-keys.js';

export interface MessageFeedOptions<M, R> {
  /** Names the coalescing keys (`notification`). */
  channel: string;
  source: { subscribe(listener: (m: M) => void): () => void };
  frame(m: M): Buffer;
  /** Whether a socket's reader (e.g. its principal) may see the message. */
  allows(reader: R, m: M): boolean;
  /** Distinct coalescing keys: at most this many messages pending per slow socket. */
  slots: number;
}

export class MessageFeed<M, R> {
  private readonly readers = new Map<CoalescingSender, R>();
  private slot = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly o: MessageFeedOptions<M, R>) {}

  start(): void {
    this.unsubscribe ??= this.o.source.subscribe((m) => this.deliver(m));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.readers.clear();
  }

  /** Adds a socket, or replaces its reader (its roles changed). */
  attach(sender: CoalescingSender, reader: R): void {
    this.readers.set(sender, reader);
  }

  detach(sender: CoalescingSender): void {
    this.readers.delete(sender);
  }

  private deliver(m: M): void {
    const frame = this.o.frame(m);
    const key = messageKey(this.o.channel, (this.slot = (this.slot + 1) % this.o.slots));
    for (const [sender, reader] of this.readers)
      if (sender.slowSince === 0 && this.o.allows(reader, m)) sender.send(key, frame);
  }
}
