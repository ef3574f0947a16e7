/** Names of what tests create in a shared engine, and their removal. */

/** A unique-enough suffix for names of things a test creates. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/** Removes every image tagged in `repo` (podman lists short names as docker.io/<name>). */
export async function removeImagesOf(
  client: {
    images: {
      list(): Promise<Array<{ Id: string; RepoTags: string[] | null }>>;
      remove(ref: string, opts: { force: boolean }): Promise<unknown>;
    };
  },
  repo: string,
): Promise<void> {
  // Docker 26.1's containerd store fails a listing that meets an image another test is
  // removing at that moment ("failed to calculate size of image"): list again.
  let images: Array<{ Id: string; RepoTags: string[] | null }> = [];
  for (let attempt = 1; ; attempt++) {
    try {
      images = await client.images.list();
      break;
    } catch (err) {
      if (attempt >= 5 || !/failed to calculate size/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
  for (const image of images) {
    if (!image.RepoTags?.some((t) => t.startsWith(`${repo}:`) || t.includes(`/${repo}:`))) {
      continue;
    }
    await client.images.remove(image.Id, { force: true }).catch(() => undefined);
  }
}
