// Our own writes to the kernel's IPVS service table (virtual server adds and deletes), counted so that a
// service dump run beside them can tell whether it may have missed one. The kernel dumps services by
// position in its hash table and sets no NLM_F_DUMP_INTR: a service added or deleted between two parts of
// the dump shifts the positions, and the dump lists another service twice or skips it.

export class ServiceTableWrites {
  private started = 0;
  private finished = 0;

  /** Around every exchange that may add or delete virtual servers. */
  async during<T>(write: () => Promise<T>): Promise<T> {
    this.started++;
    try {
      return await write();
    } finally {
      this.finished++;
    }
  }

  /** A mark when no write is in flight (undefined while one is): equal marks mean none ran in between. */
  quietMark(): number | undefined {
    return this.started === this.finished ? this.started : undefined;
  }
}
