// A TenantControlPlane (Kamaji) reduced to what the cluster page shows: version, endpoint, replicas, datastore.
import { Type, type Static } from '@sinclair/typebox';

export interface TenantControlPlane {
  metadata?: { name?: string; namespace?: string };
  spec?: { kubernetes?: { version?: string }; controlPlane?: { deployment?: { replicas?: number } } };
  status?: {
    controlPlaneEndpoint?: string;
    kubernetesResources?: {
      version?: { version?: string; status?: string };
      deployment?: { replicas?: number; readyReplicas?: number };
      service?: { port?: number; loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
    };
    storage?: { driver?: string; dataStoreName?: string };
    addons?: {
      konnectivity?: { enabled?: boolean };
      workerBootstrap?: { provider?: string; endpoint?: string };
    };
  };
}

export const TenantControlPlaneSchema = Type.Object(
  {
    name: Type.String(),
    namespace: Type.String(),
    specVersion: Type.String(),
    status: Type.Object({
      phase: Type.String(),
      version: Type.String(),
      controlPlaneEndpoint: Type.String(),
      replicas: Type.Integer(),
      readyReplicas: Type.Integer(),
      servicePort: Type.Integer(),
      loadBalancerIP: Type.String(),
      dataStoreName: Type.String(),
      dataStoreDriver: Type.String(),
      konnectivityEnabled: Type.Boolean(),
      workerBootstrap: Type.Object({ provider: Type.String(), endpoint: Type.String() }),
    }),
  },
  { title: 'TenantControlPlaneSummary' },
);

export function controlPlaneSummary(tcp: TenantControlPlane): Static<typeof TenantControlPlaneSchema> {
  const s = tcp.status ?? {};
  const k = s.kubernetesResources ?? {};
  const ingress = k.service?.loadBalancer?.ingress?.[0];
  return {
    name: tcp.metadata?.name ?? '',
    namespace: tcp.metadata?.namespace ?? '',
    specVersion: tcp.spec?.kubernetes?.version ?? '',
    status: {
      phase: k.version?.status ?? '',
      version: k.version?.version ?? '',
      controlPlaneEndpoint: s.controlPlaneEndpoint ?? '',
      replicas: k.deployment?.replicas ?? 0,
      readyReplicas: k.deployment?.readyReplicas ?? 0,
      servicePort: k.service?.port ?? 0,
      loadBalancerIP: ingress?.ip ?? ingress?.hostname ?? '',
      dataStoreName: s.storage?.dataStoreName ?? '',
      dataStoreDriver: s.storage?.driver ?? '',
      konnectivityEnabled: s.addons?.konnectivity?.enabled ?? false,
      workerBootstrap: {
        provider: s.addons?.workerBootstrap?.provider ?? '',
        endpoint: s.addons?.workerBootstrap?.endpoint ?? '',
      },
    },
  };
}
