// One readiness condition for /readyz. The services graph (src/services.ts) lists them; the health plugin asks them.

/** Resolves null when ready, else a short reason. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<string | null>;
}
