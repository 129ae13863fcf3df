import type { Gateway } from './gateway.js';
import { ToolError } from './errors.js';

interface Active {
  at: number;
  ids: Array<{ id: string; created?: string }>;
}

/**
 * Which Maton connection a call goes to: the call's connection_id, else the
 * pinned one, else the only ACTIVE Chargebee connection. With several and none
 * chosen, writes refuse (listing them) and reads go to Maton's default.
 */
export class ConnectionResolver {
  private cache?: Active;

  constructor(
    private readonly gateway: Gateway,
    private readonly pinned: string | undefined,
    private readonly ttlMs = 60_000,
  ) {}

  /** Forget the cached list (after a connection was created or deleted). */
  invalidate(): void {
    this.cache = undefined;
  }

  async resolve(explicit: string | undefined, forWrite: boolean, signal?: AbortSignal): Promise<string | null> {
    if (explicit) return explicit;
    if (this.pinned) return this.pinned;
    const active = await this.active(signal);
    if (active.length === 1) return active[0]!.id;
    if (active.length === 0) {
      throw new ToolError('There is no ACTIVE Chargebee connection on this Maton account. Create one with create_connection and open its url to authorise it, then call again.');
    }
    if (forWrite) {
      throw new ToolError(
        `Several ACTIVE Chargebee connections exist: ${active.map((c) => `${c.id}${c.created ? ` (created ${c.created})` : ''}`).join(', ')}. ` +
          'A write must name its account: pass connection_id, or start the server with --connection / MATON_CONNECTION_ID.',
        { connections: active.map((c) => c.id) },
      );
    }
    return null;
  }

  private async active(signal?: AbortSignal): Promise<Active['ids']> {
    if (this.cache && Date.now() - this.cache.at < this.ttlMs) return this.cache.ids;
    const res = await this.gateway.call({
      api: 'maton',
      method: 'GET',
      route: 'GET /connections',
      path: '/connections',
      query: 'app=chargebee&status=ACTIVE',
      signal,
    });
    const list = ((res.body as { connections?: Array<Record<string, string>> }).connections ?? []).filter(
      (c) => c.status === 'ACTIVE' && (c.app ?? 'chargebee') === 'chargebee',
    );
    this.cache = { at: Date.now(), ids: list.map((c) => ({ id: c.connection_id!, created: c.creation_time })) };
    return this.cache.ids;
  }
}
