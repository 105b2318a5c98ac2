// Schema pieces shared by routes outside the REST API: WebSocket upgrades and query values that may repeat.
import { Type } from '@sinclair/typebox';

/** The 101 answer of a WebSocket route (no body). */
export const WEBSOCKET_UPGRADE = Type.Null({ description: 'Switching Protocols: the connection becomes a WebSocket' });

/** A query parameter as the handler reads it: a string, or repeated (the first one counts). */
export const QueryValue = (description: string) =>
  Type.Union([Type.String(), Type.Array(Type.String())], { description });
