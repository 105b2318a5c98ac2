// What the demo's Harvester stand-in (a second simulator) serves for provider discovery: the two resource types
// butler-server lists there (Harvester VirtualMachineImages, Multus NetworkAttachmentDefinitions), as minimal
// CustomResourceDefinitions, and a few objects of each. Tests start the same stand-in.
const crd = (group: string, version: string, kind: string, plural: string, shortNames: string[] = []) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames },
    versions: [
      {
        name: version,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        },
      },
    ],
  },
});

export function harvesterCrds(): object[] {
  return [
    crd('harvesterhci.io', 'v1beta1', 'VirtualMachineImage', 'virtualmachineimages', ['vmimage']),
    crd('k8s.cni.cncf.io', 'v1', 'NetworkAttachmentDefinition', 'network-attachment-definitions', ['net-attach-def']),
  ];
}

const image = (name: string, displayName: string, description?: string) => ({
  apiVersion: 'harvesterhci.io/v1beta1',
  kind: 'VirtualMachineImage',
  metadata: { name, namespace: 'default' },
  spec: {
    displayName,
    sourceType: 'download',
    url: `https://images.example/${name}.qcow2`,
    ...(description ? { description } : {}),
  },
});

const network = (name: string, vlan: number) => ({
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  metadata: { name, namespace: 'default', labels: { 'network.harvesterhci.io/type': 'L2VlanNetwork' } },
  spec: { config: JSON.stringify({ cniVersion: '0.3.1', name, type: 'bridge', bridge: 'mgmt-br', vlan }) },
});

export function harvesterResources(): object[] {
  return [
    image('talos-1-8', 'Talos Linux 1.8.3', 'Talos nocloud image for Butler workers'),
    image('ubuntu-24-04', 'Ubuntu 24.04 LTS'),
    network('vlan40-workloads', 40),
    network('vlan60-edge', 60),
  ];
}
