/**
 * POSIX st_mode bits to Go's os.FileMode, the form fsutil's Stat.mode carries (Go keeps the
 * file type in the high bits, not in S_IFMT).
 */
import { constants } from 'node:fs';

export const GoMode = {
  DIR: 2 ** 31,
  SYMLINK: 2 ** 27,
  DEVICE: 2 ** 26,
  NAMED_PIPE: 2 ** 25,
  SOCKET: 2 ** 24,
  SETUID: 2 ** 23,
  SETGID: 2 ** 22,
  CHAR_DEVICE: 2 ** 21,
  STICKY: 2 ** 20,
  IRREGULAR: 2 ** 19,
  PERM: 0o777,
} as const;

/** Go's os.ModeType: the bits that make an entry anything but a regular file. */
export const GO_MODE_TYPE =
  GoMode.DIR +
  GoMode.SYMLINK +
  GoMode.NAMED_PIPE +
  GoMode.SOCKET +
  GoMode.DEVICE +
  GoMode.CHAR_DEVICE +
  GoMode.IRREGULAR;

const { S_IFMT, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFSOCK } = constants;
// Node's fs.constants lacks these three: the POSIX values.
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

/**
 * The os.FileMode of a POSIX mode, as fsutil records it: the socket bit is cleared (a socket is
 * sent as an empty regular file, as fsutil does, since tar cannot hold one).
 */
export function goFileMode(posixMode: number): number {
  let mode = posixMode & GoMode.PERM;
  switch (posixMode & S_IFMT) {
    case S_IFBLK:
      mode += GoMode.DEVICE;
      break;
    case S_IFCHR:
      mode += GoMode.DEVICE + GoMode.CHAR_DEVICE;
      break;
    case S_IFDIR:
      mode += GoMode.DIR;
      break;
    case S_IFIFO:
      mode += GoMode.NAMED_PIPE;
      break;
    case S_IFLNK:
      mode += GoMode.SYMLINK;
      break;
    case S_IFSOCK:
      // cleared, as fsutil does
      break;
  }
  if (posixMode & S_ISUID) mode += GoMode.SETUID;
  if (posixMode & S_ISGID) mode += GoMode.SETGID;
  if (posixMode & S_ISVTX) mode += GoMode.STICKY;
  return mode;
}

/** Whether the receiver may ask for an entry's content: regular files only (fsutil's rule). */
export function canRequestData(goMode: number): boolean {
  return (Math.floor(goMode / GoMode.IRREGULAR) & (GO_MODE_TYPE / GoMode.IRREGULAR)) === 0;
}

/** A major/minor pair from a Linux dev_t, as fsutil splits it. */
export function deviceNumbers(rdev: bigint): { major: bigint; minor: bigint } {
  return {
    major: (rdev >> 8n) & 0xfffn,
    minor: (rdev & 0xffn) | ((rdev >> 12n) & 0xfff00n),
  };
}
