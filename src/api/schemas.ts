// Response schemas shared by the routes, and the error schema used in the OpenAPI document.
import { Type, type TSchema } from '@sinclair/typebox';

/** A Kubernetes object passed through (managedFields removed). */
export const K8sObject = (title: string) =>
  Type.Object(
    {
      apiVersion: Type.Optional(Type.String()),
      kind: Type.Optional(Type.String()),
      metadata: Type.Object(
        { name: Type.Optional(Type.String()), namespace: Type.Optional(Type.String()) },
        { additionalProperties: true },
      ),
      spec: Type.Optional(Type.Object({}, { additionalProperties: true })),
      status: Type.Optional(Type.Object({}, { additionalProperties: true })),
    },
    { additionalProperties: true, title },
  );

export const MessageResponse = Type.Object({ message: Type.String() });

export const ApiErrorSchema = Type.Object(
  {
    error: Type.String(),
    details: Type.Optional(
      Type.Object({
        field: Type.Optional(Type.String()),
        errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
        reason: Type.Optional(Type.String()),
        causes: Type.Optional(
          Type.Array(
            Type.Object({ field: Type.String(), message: Type.String(), reason: Type.Optional(Type.String()) }),
          ),
        ),
      }),
    ),
  },
  { title: 'ApiError' },
);

export const NodeInfoSchema = Type.Object(
  {
    name: Type.String(),
    status: Type.Union([Type.Literal('Ready'), Type.Literal('NotReady'), Type.Literal('Unknown')]),
    roles: Type.Array(Type.String()),
    version: Type.String(),
    internalIP: Type.String(),
    os: Type.String(),
    containerRuntime: Type.String(),
    cpu: Type.String(),
    memory: Type.String(),
    age: Type.String(),
  },
  { title: 'NodeInfo' },
);

export const NodesResponse = Type.Object({ nodes: Type.Array(NodeInfoSchema) });

export const ValidationResultSchema = Type.Object(
  { valid: Type.Boolean(), message: Type.String(), recorded: Type.Optional(Type.Boolean()) },
  { title: 'ValidationResult' },
);

export const responses = (ok: Record<number, TSchema>) => ok;
