/** The `io.imgext.extensions` label the extended run image (and so the app image) carries. */
import { nodeGeneratedFs } from '@imgext/extender';
import {
  EXTENSIONS_LABEL,
  extensionRecords,
  formatExtensionsLabel,
  type GroupEntry,
  readGenerated,
} from '@imgext/metadata';

/** Reads detect's generated folder for both kinds; `{}` when no extension was chosen. */
export async function extensionsLabel(
  generatedDir: string,
  platformApi: string,
  extensions: GroupEntry[],
): Promise<Record<string, string>> {
  if (extensions.length === 0) return {};
  const order = extensions.map((e) => e.id);
  const read = (kind: 'build' | 'run') =>
    readGenerated({ fs: nodeGeneratedFs, dir: generatedDir, kind, platformApi, order });
  const generated = [...(await read('build')), ...(await read('run'))];
  return { [EXTENSIONS_LABEL]: formatExtensionsLabel(extensionRecords(extensions, generated)) };
}
