/**
 * What of the app folder travels: project.toml's `include` / `exclude` (gitignore patterns,
 * relative to the app folder, as pack reads them), as an AppFilter for the upload.
 */
import type { AppFilter } from '@imgext/lifecycle';
import ignoreModule from 'ignore';
import { BuildAppError } from './build-error.js';

// A CommonJS module whose export is the factory, also as `.default` (which the types see).
const makeIgnore = ignoreModule.default;

export interface AppFiles {
  /** Only these travel (and the folders holding them). */
  include?: string[];
  /** These stay behind (a folder with everything in it). */
  exclude?: string[];
}

/** The filter for `files`, or undefined when everything travels. */
export function appFilterFor(files: AppFiles | undefined): AppFilter | undefined {
  const include = files?.include ?? [];
  const exclude = files?.exclude ?? [];
  if (include.length > 0 && exclude.length > 0) {
    throw new BuildAppError(
      'ERR_INVALID_APP_FILES',
      'the project descriptor has both include and exclude: use one of them',
    );
  }
  if (exclude.length > 0) {
    const ig = makeIgnore().add(exclude);
    return (path, directory) => !ig.ignores(directory ? `${path}/` : path);
  }
  if (include.length > 0) {
    const ig = makeIgnore().add(include);
    return (path, directory) => {
      if (!directory) return ig.ignores(path);
      return ig.ignores(`${path}/`) ? true : 'descend';
    };
  }
  return undefined;
}
