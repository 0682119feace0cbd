// Allocations made while preparing a write are provisional until the write is
// stored: a failed validation, a conflict or a dry run must give back what
// was taken, and values the previous version held are only freed once the
// new version has replaced it.

export class Reservation {
  private readonly undoClaims: Array<() => void> = [];
  private readonly releasesOnCommit: Array<() => void> = [];
  private settled = false;

  /** Records something just claimed, with how to give it back on rollback. */
  claimed(undo: () => void): void {
    this.undoClaims.push(undo);
  }

  /** Records something the previous version held that the new version no longer needs. */
  releaseOnCommit(release: () => void): void {
    this.releasesOnCommit.push(release);
  }

  commit(): void {
    if (this.settle()) for (const release of this.releasesOnCommit) release();
  }

  rollback(): void {
    if (this.settle()) for (const undo of this.undoClaims.reverse()) undo();
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }
}
