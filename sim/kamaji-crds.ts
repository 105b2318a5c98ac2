// A minimal structural CustomResourceDefinition of Kamaji's TenantControlPlane (kamaji.clastix.io/v1alpha1), for the
// simulator, its users' tests and the demo. Kamaji installs the real one (with its full schema); this stand-in keeps
// the group, version, names, scope and status subresource, and accepts any spec and status.
const OPEN_OBJECT = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

export function kamajiCrds(): object[] {
  return [
    {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'tenantcontrolplanes.kamaji.clastix.io' },
      spec: {
        group: 'kamaji.clastix.io',
        names: {
          kind: 'TenantControlPlane',
          listKind: 'TenantControlPlaneList',
          plural: 'tenantcontrolplanes',
          singular: 'tenantcontrolplane',
          shortNames: ['tcp'],
        },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1alpha1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  apiVersion: { type: 'string' },
                  kind: { type: 'string' },
                  metadata: { type: 'object' },
                  spec: OPEN_OBJECT,
                  status: OPEN_OBJECT,
                },
              },
            },
          },
        ],
      },
    },
  ];
}
