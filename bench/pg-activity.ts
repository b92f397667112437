import { Client } from 'pg';

/**
 * Samples what the platform's PostgreSQL sessions are doing (pg_stat_activity) while a scenario
 * runs: how many are active on average and what they wait on. Lock waits there point at row
 * contention in the pipeline, which no client-side figure shows.
 */
export class PgActivitySampler {
  private timer: NodeJS.Timeout | null = null;
  private samples = 0;
  private activeTotal = 0;
  private readonly waits = new Map<string, number>();
  private busy = false;

  constructor(
    private readonly client: Client,
    private readonly databaseName: string,
    private readonly everyMs = 250,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.everyMs);
  }

  stop(): string {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.samples) return 'no samples';
    const total = [...this.waits.values()].reduce((a, b) => a + b, 0);
    const top = [...this.waits.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([what, n]) => `${what} ${Math.round((100 * n) / (total || 1))} %`)
      .join(', ');
    return `${(this.activeTotal / this.samples).toFixed(1)} active sessions on average over ${this.samples} samples; of those: ${top || 'none'}`;
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { rows } = await this.client.query<{ what: string; n: string }>(
        `SELECT CASE WHEN wait_event IS NULL THEN 'running' ELSE wait_event_type || ':' || wait_event END AS what, count(*) AS n
         FROM pg_stat_activity
         WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'
         GROUP BY 1`,
        [this.databaseName],
      );
      this.samples++;
      for (const row of rows) {
        const n = Number(row.n);
        this.activeTotal += n;
        this.waits.set(row.what, (this.waits.get(row.what) ?? 0) + n);
      }
    } catch {
      // a missed sample is harmless
    } finally {
      this.busy = false;
    }
  }
}
