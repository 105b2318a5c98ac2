// Programmable failures for reliability tests: fail the next N matching requests, add latency.
import { statusForCode, type ApiError } from './status.js';

export interface FailRule {
  remaining: number;
  status: number;
  path?: string | RegExp;
  reason?: string;
  message?: string;
}

export class FaultPlan {
  latencyMs = 0;
  private rules: FailRule[] = [];

  failNext(n: number, o: { status: number; path?: string | RegExp; reason?: string; message?: string }): void {
    if (n > 0) this.rules.push({ remaining: n, ...o });
  }

  /** The injected failure for this request path, consuming one use of the first matching rule. */
  take(path: string): ApiError | undefined {
    for (const r of this.rules) {
      if (r.remaining <= 0) continue;
      const hit = r.path === undefined ? true : typeof r.path === 'string' ? path.includes(r.path) : r.path.test(path);
      if (!hit) continue;
      r.remaining--;
      if (r.remaining <= 0) this.rules = this.rules.filter((x) => x.remaining > 0);
      return statusForCode(r.status, r.reason, r.message);
    }
    return undefined;
  }
}
