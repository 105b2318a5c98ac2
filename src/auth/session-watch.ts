import type { RevocationStore } from './revocations.js';
import type { Session } from './session.js';

// setTimeout's longest delay; later expiries re-arm the timer.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `onEnd` once when the session is revoked (on any replica) or expires. For WebSockets and terminals, which
 * close with 4401 then. Returns a function that stops watching.
 */
export function watchSession(
  store: RevocationStore,
  session: Pick<Session, 'jti' | 'exp'>,
  onEnd: (reason: 'revoked' | 'expired') => void,
): () => void {
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  const end = (reason: 'revoked' | 'expired') => {
    if (ended) return;
    stop();
    ended = true;
    onEnd(reason);
  };
  const unsubscribe = store.onRevoked((jti) => {
    if (jti === session.jti) end('revoked');
  });
  const arm = () => {
    const left = session.exp * 1000 - Date.now();
    if (left <= 0) {
      end('expired');
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  function stop() {
    ended = true;
    unsubscribe();
    if (timer) clearTimeout(timer);
  }
  if (store.isRevoked(session.jti)) queueMicrotask(() => end('revoked'));
  else arm();
  return stop;
}
