// CreateProviderRequest: schema, the per-provider required fields (docs/api.md §3.6) and the objects it becomes.
import { Type, type Static } from '@sinclair/typebox';
import { badRequest, type FieldError } from '../http/errors.js';
import { checkUntrustedKubeconfig, KubeconfigRejected, type SanitizedKubeconfig } from '../kube/kubeconfig-check.js';
import type { ProviderConnection } from '../providers/checks.js';
import * as R from './validation/rules.js';

const connectionFields = {
  provider: Type.Union([Type.Literal('harvester'), Type.Literal('nutanix'), Type.Literal('proxmox')], {
    errorMessage: R.MESSAGES.provider,
  }),
  harvesterKubeconfig: Type.Optional(R.Kubeconfig()),
  nutanixEndpoint: Type.Optional(R.HttpUrl()),
  nutanixPort: Type.Optional(R.Port()),
  nutanixUsername: Type.Optional(R.Credential()),
  nutanixPassword: Type.Optional(R.Credential()),
  nutanixInsecure: Type.Optional(R.Bool()),
  proxmoxEndpoint: Type.Optional(R.HttpUrl()),
  proxmoxInsecure: Type.Optional(R.Bool()),
  proxmoxTokenId: Type.Optional(R.ProxmoxTokenId()),
  proxmoxTokenSecret: Type.Optional(R.Credential()),
  proxmoxUsername: Type.Optional(R.Credential()),
  proxmoxPassword: Type.Optional(R.Credential()),
};

export const TestProviderBody = Type.Object(connectionFields, { title: 'TestProviderRequest' });

export const CreateProviderBody = Type.Object(
  {
    name: R.DnsLabel(),
    namespace: Type.Optional(R.DnsLabel()),
    ...connectionFields,
    harvesterNetworkName: Type.Optional(R.HarvesterNetworkOfProvider()),
    harvesterNamespace: Type.Optional(R.DnsLabel()),
    harvesterImageName: Type.Optional(R.HarvesterRef()),
    nutanixClusterUUID: Type.Optional(R.Uuid()),
    nutanixSubnetUUID: Type.Optional(R.Uuid()),
    nutanixImageUUID: Type.Optional(R.Uuid()),
    nutanixStorageContainerUUID: Type.Optional(R.Uuid()),
    proxmoxNodes: Type.Optional(R.ProxmoxNodes()),
    proxmoxStorage: Type.Optional(R.ProxmoxStorage()),
    proxmoxTemplateID: Type.Optional(R.TemplateId()),
  },
  { title: 'CreateProviderRequest' },
);

export type CreateProviderRequest = Static<typeof CreateProviderBody>;
export type TestProviderRequest = Static<typeof TestProviderBody>;

function listNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function missingError(message: string, fields: string[]) {
  const errors: FieldError[] = fields.map((field) => ({ field, message: 'is required' }));
  return badRequest(message, { field: fields[0], errors });
}

const hasTokenPair = (b: TestProviderRequest) => Boolean(b.proxmoxTokenId && b.proxmoxTokenSecret);
const hasPasswordPair = (b: TestProviderRequest) => Boolean(b.proxmoxUsername && b.proxmoxPassword);

/** The connection a request describes, after the per-provider required-field rules; `forCreate` adds schema needs. */
export function connectionFromRequest(
  b: CreateProviderRequest | TestProviderRequest,
  forCreate: boolean,
): ProviderConnection {
  const c = b as CreateProviderRequest;
  switch (b.provider) {
    case 'harvester': {
      if (!b.harvesterKubeconfig) throw missingError('harvesterKubeconfig: is required', ['harvesterKubeconfig']);
      if (forCreate && c.harvesterImageName && !c.harvesterNetworkName)
        throw badRequest('harvesterImageName requires harvesterNetworkName', { field: 'harvesterImageName' });
      let kubeconfig: SanitizedKubeconfig;
      try {
        kubeconfig = checkUntrustedKubeconfig(b.harvesterKubeconfig);
      } catch (err) {
        if (!(err instanceof KubeconfigRejected)) throw err;
        throw badRequest(`harvesterKubeconfig: ${err.message}`, {
          field: 'harvesterKubeconfig',
          errors: [{ field: 'harvesterKubeconfig', message: err.message }],
        });
      }
      return { provider: 'harvester', kubeconfig };
    }
    case 'nutanix': {
      const conn = (['nutanixEndpoint', 'nutanixUsername', 'nutanixPassword'] as const).filter((f) => !b[f]);
      const schema = forCreate ? (['nutanixClusterUUID', 'nutanixSubnetUUID'] as const).filter((f) => !c[f]) : [];
      if (conn.length)
        throw missingError(`nutanix providers need ${listNames([...conn, ...schema])}`, [...conn, ...schema]);
      if (schema.length)
        throw missingError(
          `nutanix providers also need ${listNames([...schema])} (required by the ProviderConfig schema)`,
          [...schema],
        );
      return {
        provider: 'nutanix',
        endpoint: b.nutanixEndpoint!,
        port: b.nutanixPort,
        insecure: b.nutanixInsecure,
        username: b.nutanixUsername!,
        password: b.nutanixPassword!,
      };
    }
    case 'proxmox': {
      if (!b.proxmoxEndpoint) throw missingError('proxmox providers need proxmoxEndpoint', ['proxmoxEndpoint']);
      if (!hasTokenPair(b) && !hasPasswordPair(b))
        throw badRequest(
          'proxmox needs proxmoxTokenId and proxmoxTokenSecret, or proxmoxUsername and proxmoxPassword',
          {
            field: 'proxmoxTokenId',
          },
        );
      if (forCreate) {
        const schema = [
          ...(!c.proxmoxNodes?.length ? ['proxmoxNodes'] : []),
          ...(!c.proxmoxStorage ? ['proxmoxStorage'] : []),
        ];
        if (schema.length)
          throw missingError(
            `proxmox providers also need ${listNames(schema)} (required by the ProviderConfig schema)`,
            schema,
          );
      }
      const token = hasTokenPair(b);
      return {
        provider: 'proxmox',
        endpoint: b.proxmoxEndpoint,
        insecure: b.proxmoxInsecure,
        ...(token
          ? { tokenId: b.proxmoxTokenId, tokenSecret: b.proxmoxTokenSecret }
          : { username: b.proxmoxUsername, password: b.proxmoxPassword }),
      };
    }
  }
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Secret data and ProviderConfig spec for a validated create request. */
export function providerObjects(b: CreateProviderRequest, namespace: string) {
  const secretName = `${b.name}-credentials`;
  let data: Record<string, string>;
  const spec: Record<string, unknown> = { provider: b.provider };
  switch (b.provider) {
    case 'harvester':
      data = { kubeconfig: b64(b.harvesterKubeconfig!) };
      spec.credentialsRef = { name: secretName, namespace, key: 'kubeconfig' };
      if (b.harvesterNetworkName)
        spec.harvester = {
          networkName: b.harvesterNetworkName,
          ...(b.harvesterNamespace ? { namespace: b.harvesterNamespace } : {}),
          ...(b.harvesterImageName ? { imageName: b.harvesterImageName } : {}),
        };
      break;
    case 'nutanix':
      data = { username: b64(b.nutanixUsername!), password: b64(b.nutanixPassword!) };
      spec.credentialsRef = { name: secretName, namespace };
      spec.nutanix = {
        endpoint: b.nutanixEndpoint,
        port: b.nutanixPort ?? 9440,
        insecure: b.nutanixInsecure ?? false,
        clusterUUID: b.nutanixClusterUUID,
        subnetUUID: b.nutanixSubnetUUID,
        ...(b.nutanixImageUUID ? { imageUUID: b.nutanixImageUUID } : {}),
        ...(b.nutanixStorageContainerUUID ? { storageContainerUUID: b.nutanixStorageContainerUUID } : {}),
      };
      break;
    case 'proxmox':
      data = hasTokenPair(b)
        ? { tokenId: b64(b.proxmoxTokenId!), tokenSecret: b64(b.proxmoxTokenSecret!) }
        : { username: b64(b.proxmoxUsername!), password: b64(b.proxmoxPassword!) };
      spec.credentialsRef = { name: secretName, namespace };
      spec.proxmox = {
        endpoint: b.proxmoxEndpoint,
        insecure: b.proxmoxInsecure ?? false,
        nodes: b.proxmoxNodes,
        storage: b.proxmoxStorage,
        ...(b.proxmoxTemplateID !== undefined ? { templateID: b.proxmoxTemplateID } : {}),
      };
      break;
  }
  return { secretName, data, spec };
}
