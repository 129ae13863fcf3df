import * as z from 'zod';
import type { ToolDef } from '../src/catalog.js';
import { id } from '../src/schema.js';

const connectionId = id('Maton connection id (from list_connections)');

function connectionSummary(c: any) {
  return { connection_id: c.connection_id, status: c.status, app: c.app, created: c.creation_time, updated: c.last_updated_time };
}

export const connectionTools = [
  {
    name: 'list_connections',
    title: 'List Maton connections',
    description: 'Lists Maton connections to Chargebee sites. With several, pass one as connection_id to Chargebee tools.',
    kind: 'read',
    api: 'maton',
    method: 'GET',
    path: '/connections',
    fixed: { app: 'chargebee' },
    input: z.strictObject({
      status: z.enum(['ACTIVE', 'PENDING', 'FAILED']).optional().describe('Only connections in this status'),
    }),
  },
  {
    name: 'get_connection',
    title: 'Get Maton connection',
    description: 'Gets a Maton connection: status and, while PENDING, the url to authorise it in a browser.',
    kind: 'read',
    api: 'maton',
    method: 'GET',
    path: '/connections/{connection_id}',
    input: z.strictObject({ connection_id: connectionId }),
  },
  {
    name: 'create_connection',
    title: 'Create Maton connection',
    description: 'Starts a Maton connection to a Chargebee site; returns a url to open in a browser to authorise it (PENDING until then). Preview, then confirm with its token.',
    kind: 'write',
    api: 'maton',
    method: 'POST',
    path: '/connections',
    fixed: { app: 'chargebee' },
    input: z.strictObject({}),
    async preview(_args, t) {
      const { connections = [] } = await t.maton('/connections', {}, { app: 'chargebee' });
      const active = connections.filter((c: any) => c.status === 'ACTIVE');
      const pending = connections.filter((c: any) => c.status === 'PENDING');
      const waiting = pending.length
        ? ` ${pending.length} PENDING connection(s) already wait for authorisation (${pending.map((c: any) => `${c.connection_id}, created ${c.creation_time}`).join('; ')}): an earlier attempt may have made one — open its url (get_connection) instead of creating another.`
        : '';
      return {
        target: { existing: connections.map(connectionSummary) },
        effect: `Creates a new PENDING Chargebee connection at Maton; someone must open the returned url and sign in to Chargebee to activate it. You already have ${active.length} active connection(s)${active.length ? `: ${active.map((c: any) => c.connection_id).join(', ')}` : ''}.${waiting} No billing change.`,
        version: null,
      };
    },
  },
  {
    name: 'delete_connection',
    title: 'Delete Maton connection',
    description: 'Deletes a Maton connection (Chargebee data untouched); calls through it fail afterwards. Preview, then confirm with its token.',
    kind: 'write',
    destructive: true,
    idempotent: true,
    api: 'maton',
    method: 'DELETE',
    path: '/connections/{connection_id}',
    input: z.strictObject({ connection_id: connectionId }),
    async preview(args, t) {
      const { connection } = await t.maton('/connections/{connection_id}', args);
      return {
        target: { connection: connectionSummary(connection) },
        effect: `Deletes ${connection.status} Chargebee connection ${connection.connection_id} (created ${connection.creation_time}). Every tool call through it will fail afterwards; Chargebee data and billing are untouched. To reconnect, create_connection and authorise again.`,
        version: String(connection.last_updated_time ?? ''),
      };
    },
  },
] as const satisfies readonly ToolDef[];
