// Linux errno numbers (asm-generic/errno-base.h, errno.h) that netlink families actually return, with
// their symbolic names for messages. Unknown numbers print as `errno N`.
const NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'EPERM'], [2, 'ENOENT'], [3, 'ESRCH'], [4, 'EINTR'], [5, 'EIO'], [6, 'ENXIO'], [7, 'E2BIG'],
  [9, 'EBADF'], [11, 'EAGAIN'], [12, 'ENOMEM'], [13, 'EACCES'], [14, 'EFAULT'], [16, 'EBUSY'],
  [17, 'EEXIST'], [19, 'ENODEV'], [20, 'ENOTDIR'], [22, 'EINVAL'], [23, 'ENFILE'], [24, 'EMFILE'],
  [28, 'ENOSPC'], [34, 'ERANGE'], [38, 'ENOSYS'], [61, 'ENODATA'], [71, 'EPROTO'], [75, 'EOVERFLOW'],
  [90, 'EMSGSIZE'], [93, 'EPROTONOSUPPORT'], [95, 'EOPNOTSUPP'], [97, 'EAFNOSUPPORT'],
  [98, 'EADDRINUSE'], [99, 'EADDRNOTAVAIL'], [105, 'ENOBUFS'], [110, 'ETIMEDOUT'],
]);

export const ENOENT = 2;
export const ESRCH = 3;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const EADDRNOTAVAIL = 99;
export const ENOBUFS = 105;
export const EOPNOTSUPP = 95;
export const EPROTONOSUPPORT = 93;

export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `errno ${errno}`;
}
