// Field rules of docs/api.md §4 as TypeBox schemas. Each schema carries `errorMessage` (the `<problem>` part of the
// 400 answer `<field>: <problem>`); the validator compiler (compiler.ts) turns failures into those messages.
import { FormatRegistry, Type, type SchemaOptions, type TSchema } from '@sinclair/typebox';
import { parseIp } from '../../net/ip.js';

export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export const MESSAGES = {
  dnsLabel: "must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)",
  helmName: "must be a DNS-1123 label (lowercase letters, digits and '-', at most 53 characters)",
  kubernetesVersion: 'must look like v1.30.2',
  replicas: 'must be an integer between 1 and 100',
  cpu: 'must be an integer between 1 and 256',
  quantity: 'must be a quantity such as 8Gi',
  ip: 'must be an IPv4 or IPv6 address',
  uuid: 'must be a UUID',
  proxmoxNode: 'must be a Proxmox node name',
  proxmoxNodes: 'must list 1 to 64 unique Proxmox node names',
  proxmoxStorage: 'must be a Proxmox storage name',
  templateId: 'must be an integer between 100 and 999999999',
  harvesterRef: 'must be name or namespace/name',
  harvesterNetworkOfProvider: 'must be namespace/name',
  httpUrl: 'must be an http:// or https:// URL',
  port: 'must be an integer between 1 and 65535',
  credential: 'must be 1 to 1024 characters without control characters',
  proxmoxTokenId: 'must look like user@realm!token',
  addonVersion: "must be 1 to 64 letters, digits, '.', '+', '_' or '-', starting with a letter or digit",
  values: 'must be an object',
  helmRepository: 'must be an http(s):// or oci:// URL',
  limit: 'must be an integer between 1 and 500',
  provider: 'must be one of harvester, nutanix, proxmox',
  kubeconfig: 'must be a kubeconfig (YAML or JSON, at most 256 KiB)',
  boolean: 'must be true or false',
  string: 'must be a string',
} as const;

function isUrlOf(text: string, schemes: string[]): boolean {
  if (text.length > 2048) return false;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (!schemes.includes(url.protocol) || !url.hostname) return false;
  if (url.username || url.password || url.search || url.hash || text.includes('?') || text.includes('#')) return false;
  return true;
}

FormatRegistry.Set('k8s-quantity', (v) => v.length <= 32 && QUANTITY.test(v) && Number.parseFloat(v) > 0);
FormatRegistry.Set('ip', (v) => parseIp(v) !== undefined);
FormatRegistry.Set('uuid', (v) =>
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(v),
);
FormatRegistry.Set('http-url', (v) => isUrlOf(v, ['http:', 'https:']));
FormatRegistry.Set('helm-repository', (v) => isUrlOf(v, ['http:', 'https:', 'oci:']));
FormatRegistry.Set('credential', (v) => v.length >= 1 && v.length <= 1024 && !CONTROL_CHARS.test(v));
FormatRegistry.Set('proxmox-token-id', (v) => v.length <= 1024 && /^[^@!\s]+@[^@!\s]+![^@!\s]+$/.test(v));

const str = (errorMessage: string, o: SchemaOptions = {}) => Type.String({ errorMessage, ...o });
const int = (min: number, max: number, errorMessage: string, o: SchemaOptions = {}) =>
  Type.Integer({ minimum: min, maximum: max, errorMessage, ...o });

export const DnsLabel = (o: SchemaOptions = {}) =>
  str(MESSAGES.dnsLabel, { pattern: DNS_LABEL_PATTERN, minLength: 1, maxLength: 63, ...o });
export const DnsSubdomain = (o: SchemaOptions = {}) =>
  str('must be a DNS-1123 subdomain', { pattern: DNS_SUBDOMAIN_PATTERN, minLength: 1, maxLength: 253, ...o });
export const HelmName = (o: SchemaOptions = {}) =>
  str(MESSAGES.helmName, { pattern: DNS_LABEL_PATTERN, minLength: 1, maxLength: 53, ...o });
export const KubernetesVersion = () =>
  str(MESSAGES.kubernetesVersion, { pattern: '^v\\d+\\.\\d+\\.\\d+$', maxLength: 64, examples: ['v1.30.2'] });
export const Replicas = (o: SchemaOptions = {}) => int(1, 100, MESSAGES.replicas, o);
export const WorkerCpu = () => int(1, 256, MESSAGES.cpu);
export const Quantity = () => str(MESSAGES.quantity, { format: 'k8s-quantity', maxLength: 32, examples: ['8Gi'] });
export const IpLiteral = () => str(MESSAGES.ip, { format: 'ip' });
export const Uuid = () => str(MESSAGES.uuid, { format: 'uuid' });
export const ProxmoxNode = () =>
  str(MESSAGES.proxmoxNode, { pattern: '^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$', minLength: 1, maxLength: 63 });
export const ProxmoxNodes = () =>
  Type.Array(ProxmoxNode(), { minItems: 1, maxItems: 64, uniqueItems: true, errorMessage: MESSAGES.proxmoxNodes });
export const ProxmoxStorage = () => str(MESSAGES.proxmoxStorage, { pattern: '^[A-Za-z][A-Za-z0-9._-]{0,63}$' });
export const TemplateId = () => int(100, 999999999, MESSAGES.templateId);
const LABEL = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';
export const HarvesterRef = () => str(MESSAGES.harvesterRef, { pattern: `^(${LABEL}/)?${LABEL}$` });
export const HarvesterNetworkOfProvider = () =>
  str(MESSAGES.harvesterNetworkOfProvider, { pattern: `^${LABEL}/${LABEL}$` });
export const HttpUrl = () => str(MESSAGES.httpUrl, { format: 'http-url', maxLength: 2048 });
export const Port = () => int(1, 65535, MESSAGES.port);
export const Credential = () => str(MESSAGES.credential, { format: 'credential' });
export const ProxmoxTokenId = () => str(MESSAGES.proxmoxTokenId, { format: 'proxmox-token-id' });
export const AddonVersion = () => str(MESSAGES.addonVersion, { pattern: '^[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}$' });
export const HelmValues = () => Type.Record(Type.String(), Type.Unknown(), { errorMessage: MESSAGES.values });
export const HelmRepository = () => str(MESSAGES.helmRepository, { format: 'helm-repository', maxLength: 2048 });
export const Bool = () => Type.Boolean({ errorMessage: MESSAGES.boolean });
export const Kubeconfig = () => str(MESSAGES.kubeconfig, { minLength: 1, maxLength: 256 * 1024 });

/** Path-parameter schemas: a failure answers `invalid <what> "<value>"` (paramError) instead of `<field>: <problem>`. */
export const NamespaceParam = () => DnsLabel({ paramError: 'invalid namespace "%s"' });
export const NameParam = () => DnsLabel({ paramError: 'invalid name "%s"' });
export const AddonParam = () => DnsSubdomain({ paramError: 'invalid addon name' });

export type { TSchema };
