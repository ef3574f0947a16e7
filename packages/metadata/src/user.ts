/** user_id / group_id build args from an image config's `User` (`uid[:gid]`, names kept as they are). */
export function userArgs(user: string | undefined): { user_id: string; group_id: string } {
  const [uid = '', gid = ''] = (user ?? '').split(':', 2);
  return { user_id: uid || '0', group_id: gid };
}

/** An image config `User` that runs as root: empty, 0 or root (with any group). */
export function isRootUser(user: string | undefined): boolean {
  const uid = (user ?? '').split(':', 1)[0]!.trim();
  return uid === '' || uid === '0' || uid === 'root';
}
