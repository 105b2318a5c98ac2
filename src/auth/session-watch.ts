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
  session: Pick<Session, 'jti' | 'exp'> & Partial<Pick<Session, 'username' | 'iat'>>,
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
  const revoked = () =>
    session.username !== undefined && session.iat !== undefined
      ? store.isSessionRevoked({ jti: session.jti, username: session.username, iat: session.iat })
      : store.isRevoked(session.jti);
  // A marker for this token, or a "log out everywhere" of its user.
  const unsubscribe = store.onRevoked((id) => {
    if (id === session.jti || (id.startsWith('user-') && revoked())) end('revoked');
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
  if (revoked()) queueMicrotask(() => end('revoked'));
  else arm();
  return stop;
}
