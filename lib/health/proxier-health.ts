// kube-proxy's health rule (pkg/proxy/healthcheck ProxyHealthServer): healthy once the first sync is done,
// unhealthy while a queued change has waited longer than the health timeout (2 x sync period) to be
// applied. Pure bookkeeping over an injected clock; health-server.ts only serves it.

export interface HealthStatus {
  healthy: boolean;
  body: { lastUpdated: string; currentTime: string; nodeEligible: boolean };
}

export class ProxierHealth {
  private lastUpdated = 0;
  /** When the oldest change not yet applied was queued; 0 when nothing waits. */
  private oldestPending = 0;
  private nodeEligible = true;

  constructor(
    private readonly now: () => number,
    private readonly healthTimeoutMs: number,
  ) {}

  /** A change arrived that a sync must apply. Only the oldest waiting change matters. */
  queued(): void {
    if (this.oldestPending === 0) this.oldestPending = this.now();
  }

  /** A sync finished successfully: everything queued before it started is applied. */
  updated(syncStartedAt: number): void {
    this.lastUpdated = this.now();
    if (this.oldestPending !== 0 && this.oldestPending <= syncStartedAt) this.oldestPending = 0;
  }

  /** The Node is being deleted or drained by the autoscaler: load balancers should stop sending here. */
  setNodeEligible(eligible: boolean): void {
    this.nodeEligible = eligible;
  }

  status(): HealthStatus {
    const now = this.now();
    const synced = this.lastUpdated !== 0;
    const stale = this.oldestPending !== 0 && now - this.oldestPending > this.healthTimeoutMs;
    return {
      healthy: synced && !stale,
      body: {
        lastUpdated: new Date(this.lastUpdated).toISOString(),
        currentTime: new Date(now).toISOString(),
        nodeEligible: this.nodeEligible,
      },
    };
  }
}
