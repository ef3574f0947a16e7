/**
 * The mode to hand tar-stream's pack() so that the header holds exactly `mode & 0o7777`, 0
 * included. pack() takes a mode of 0 for "unset" and writes 0644 (0755 for a folder), so a file of
 * mode 000 would arrive readable (issue 12 item 10); its header encoder writes only
 * `mode & 0o7777`. With a file-type bit above those set (S_IFREG, as lstat reports it) the mode is
 * never 0, and the bits written are the given ones. tar-stream is pinned; the tests read the modes
 * back.
 */
const S_IFREG = 0o100000;

export function packMode(mode: number): number {
  return (mode & 0o7777) | S_IFREG;
}
