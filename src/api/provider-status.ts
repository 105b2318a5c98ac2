// Recording a validation result on the ProviderConfig's status subresource (docs/api.md §5, "Recording").
import type { KubeClient } from '../kube/client.js';
import type { CheckOutcome } from '../providers/checks.js';
import { paths, retryOnConflict } from './kube-helpers.js';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

interface ProviderConfigObject {
  metadata: { resourceVersion?: string; generation?: number };
  status?: { conditions?: Condition[] };
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Merge-patches status (validated, lastValidationTime, providerVersion, condition Validated); returns the result. */
export async function recordValidation(
  kube: KubeClient,
  ns: string,
  name: string,
  outcome: CheckOutcome,
): Promise<{ resourceVersion?: string }> {
  return retryOnConflict(async () => {
    const current = await kube.request<ProviderConfigObject>({ method: 'GET', path: paths.providerConfig(ns, name) });
    const time = now();
    const status = outcome.valid ? 'True' : 'False';
    const previous = current.status?.conditions?.find((c) => c.type === 'Validated');
    const condition: Condition = {
      type: 'Validated',
      status,
      reason: outcome.reason,
      message: outcome.message,
      lastTransitionTime:
        previous && previous.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : time,
      ...(current.metadata.generation !== undefined ? { observedGeneration: current.metadata.generation } : {}),
    };
    const conditions = [...(current.status?.conditions ?? []).filter((c) => c.type !== 'Validated'), condition];
    const patched = await kube.request<ProviderConfigObject>({
      method: 'PATCH',
      path: `${paths.providerConfig(ns, name)}/status`,
      contentType: 'application/merge-patch+json',
      query: { fieldValidation: 'Strict' },
      body: {
        metadata: { resourceVersion: current.metadata.resourceVersion },
        status: {
          validated: outcome.valid,
          lastValidationTime: time,
          ...(outcome.providerVersion ? { providerVersion: outcome.providerVersion } : {}),
          conditions,
        },
      },
    });
    return { resourceVersion: patched.metadata.resourceVersion };
  });
}
