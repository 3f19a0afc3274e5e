import Redis from 'ioredis';

/** Redis commands served, by command name, read from INFO commandstats (the probe's own INFO excluded). */
export class RedisCommandCounter {
  private readonly client: Redis;

  constructor(url: string) {
    this.client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  }

  async snapshot(): Promise<Map<string, number>> {
    if (this.client.status === 'wait') await this.client.connect();
    const text = await this.client.info('commandstats');
    const out = new Map<string, number>();
    for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (m[1] !== 'info') out.set(m[1], Number(m[2]));
    }
    return out;
  }

  /** Commands per answer between two snapshots, largest first, and their sum. */
  static perAnswer(
    before: Map<string, number>,
    after: Map<string, number>,
    answers: number,
  ): { total: number; byCommand: Record<string, number> } {
    const rows = [...after.entries()]
      .map(([name, calls]) => [name, (calls - (before.get(name) ?? 0)) / Math.max(1, answers)] as const)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1]);
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      total: round(rows.reduce((sum, [, n]) => sum + n, 0)),
      byCommand: Object.fromEntries(rows.map(([name, n]) => [name, round(n)])),
    };
  }

  close(): void {
    this.client.disconnect();
  }
}
