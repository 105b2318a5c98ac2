// CustomResourceDefinitions: validation and defaulting of the CRD object, and the resource types it serves.
import { ALL_VERBS, type ResourceType, type Subresource } from './resources.js';
import type { FieldError } from './status.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function required(field: string): FieldError {
  return { type: 'FieldValueRequired', field, message: 'Required value' };
}

function invalidValue(field: string, value: unknown, why: string): FieldError {
  return { type: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` };
}

/** Fills the defaults the real server sets on a CRD (names.singular, listKind, conversion). */
export function defaultCrd(crd: any): void {
  const spec = (crd.spec ??= {});
  const names = (spec.names ??= {});
  if (names.kind && !names.singular) names.singular = String(names.kind).toLowerCase();
  if (names.kind && !names.listKind) names.listKind = `${names.kind}List`;
  spec.conversion ??= { strategy: 'None' };
  for (const v of spec.versions ?? []) {
    if (v && typeof v === 'object' && v.additionalPrinterColumns === undefined) delete v.additionalPrinterColumns;
  }
}

export function validateCrd(crd: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  if (!spec.group) errs.push(required('spec.group'));
  else if (!String(spec.group).includes('.'))
    errs.push(invalidValue('spec.group', spec.group, 'should be a domain with at least one dot'));
  if (!names.plural) errs.push(required('spec.names.plural'));
  else if (!DNS_LABEL.test(names.plural))
    errs.push(
      invalidValue(
        'spec.names.plural',
        names.plural,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
      ),
    );
  if (!names.kind) errs.push(required('spec.names.kind'));
  if (names.plural && spec.group && crd.metadata?.name !== `${names.plural}.${spec.group}`) {
    errs.push(invalidValue('metadata.name', crd.metadata?.name ?? '', 'must be spec.names.plural+"."+spec.group'));
  }
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    errs.push({
      type: 'FieldValueNotSupported',
      field: 'spec.scope',
      message: `Unsupported value: ${JSON.stringify(spec.scope ?? '')}: supported values: "Cluster", "Namespaced"`,
    });
  }
  const versions: any[] = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0)
    errs.push(invalidValue('spec.versions', [], 'must have exactly one version marked as storage version'));
  else {
    const storage = versions.filter((v) => v?.storage === true).length;
    if (storage !== 1)
      errs.push(
        invalidValue(
          'spec.versions',
          versions.map((v) => v?.name),
          'must have exactly one version marked as storage version',
        ),
      );
    versions.forEach((v, i) => {
      if (!v?.name) errs.push(required(`spec.versions[${i}].name`));
      if (typeof v?.served !== 'boolean') errs.push(required(`spec.versions[${i}].served`));
      if (!v?.schema?.openAPIV3Schema)
        errs.push({
          type: 'FieldValueRequired',
          field: `spec.versions[${i}].schema.openAPIV3Schema`,
          message: 'Required value: schemas are required',
        });
    });
  }
  return errs;
}

export function crdStatus(crd: any, now: string, previous?: any): any {
  const names = crd.spec.names;
  const accepted: Record<string, unknown> = {
    plural: names.plural,
    singular: names.singular,
    kind: names.kind,
    listKind: names.listKind,
  };
  if (names.shortNames?.length) accepted.shortNames = names.shortNames;
  if (names.categories?.length) accepted.categories = names.categories;
  const prevConds: any[] = previous?.conditions ?? [];
  const since = (type: string) => prevConds.find((c) => c.type === type)?.lastTransitionTime ?? now;
  const storage = crd.spec.versions.find((v: any) => v.storage)?.name;
  const stored = new Set<string>(previous?.storedVersions ?? []);
  if (storage) stored.add(storage);
  const conditions: any[] = [
    {
      type: 'NamesAccepted',
      status: 'True',
      lastTransitionTime: since('NamesAccepted'),
      reason: 'NoConflicts',
      message: 'no conflicts found',
    },
    {
      type: 'Established',
      status: 'True',
      lastTransitionTime: since('Established'),
      reason: 'InitialNamesAccepted',
      message: 'the initial names have been accepted',
    },
  ];
  if (crd.metadata.deletionTimestamp) {
    conditions.push({
      type: 'Terminating',
      status: 'True',
      lastTransitionTime: now,
      reason: 'InstanceDeletionInProgress',
      message: 'CustomResource deletion is in progress',
    });
  }
  return { conditions, acceptedNames: accepted, storedVersions: [...stored] };
}

/** One ResourceType per served version. */
export function crdResourceTypes(crd: any): ResourceType[] {
  const spec = crd.spec;
  const names = spec.names;
  const out: ResourceType[] = [];
  for (const v of spec.versions as any[]) {
    if (!v.served) continue;
    const subresources: Subresource[] = [];
    if (v.subresources?.scale)
      subresources.push({
        name: 'scale',
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
        group: 'autoscaling',
        version: 'v1',
      });
    if (v.subresources?.status)
      subresources.push({ name: 'status', kind: names.kind, verbs: ['get', 'patch', 'update'] });
    out.push({
      group: spec.group,
      version: v.name,
      plural: names.plural,
      singular: names.singular ?? String(names.kind).toLowerCase(),
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      namespaced: spec.scope === 'Namespaced',
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      verbs: ALL_VERBS,
      subresources,
      statusSubresource: Boolean(v.subresources?.status),
      hasGeneration: true,
      builtin: false,
      fieldSelectors: (v.selectableFields ?? []).map((f: any) => String(f.jsonPath).replace(/^\./, '')),
      storeKey: `${spec.group}/${names.plural}`,
      crdName: crd.metadata.name,
      schema: v.schema?.openAPIV3Schema,
      printerColumns: v.additionalPrinterColumns,
    });
  }
  return out;
}

export function crdResourceType(): ResourceType {
  return {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    singular: 'customresourcedefinition',
    kind: 'CustomResourceDefinition',
    listKind: 'CustomResourceDefinitionList',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    verbs: ALL_VERBS,
    subresources: [{ name: 'status', kind: 'CustomResourceDefinition', verbs: ['get', 'patch', 'update'] }],
    statusSubresource: true,
    hasGeneration: true,
    builtin: true,
    fieldSelectors: [],
    storeKey: 'apiextensions.k8s.io/customresourcedefinitions',
  };
}
