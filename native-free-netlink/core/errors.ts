// Decode failures of malformed bytes. Kernel-reported errors are `NetlinkAck`s (see ack.ts), not these.
export class NetlinkDecodeError extends Error {
  constructor(
    message: string,
    /** Byte offset in the buffer being decoded where the problem was found. */
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
    this.name = 'NetlinkDecodeError';
  }
}
