import { readdir, realpath, stat } from "node:fs/promises";
import { extname, join } from "node:path";

/**
 * Listing the data files of a folder the way every folder reader does (images, audio clips):
 * hidden entries ignored, symbolic links followed, names sorted by code unit so the order (and
 * so the class ids) does not depend on the locale.
 */

/** Code-unit order: the same on every machine and locale. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The names of the files of `dir` with one of `extensions` (lower case, with the dot) and of its subfolders, each sorted. */
export async function listFolder(dir: string, extensions: readonly string[]): Promise<{ files: string[]; folders: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  const folders: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(join(dir, entry.name)).catch(() => null);
      isDir = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? false;
    }
    if (isDir) folders.push(entry.name);
    else if (isFile && extensions.includes(extname(entry.name).toLowerCase())) files.push(entry.name);
  }
  return { files: files.sort(byCodeUnit), folders: folders.sort(byCodeUnit) };
}

/**
 * The paths of the files with one of `extensions` under `dir`, depth first, sorted at each level.
 * A link back to a folder being walked is an error: followed, it would list the same files again
 * under another class until the path grew too long.
 */
export async function walkFolder(dir: string, extensions: readonly string[], walking: readonly string[] = []): Promise<string[]> {
  const real = await realpath(dir);
  if (walking.includes(real)) throw new Error(`${dir}: a symbolic link loop (it links back to ${real}); remove the link`);
  const { files, folders } = await listFolder(dir, extensions);
  const out = files.map((name) => join(dir, name));
  for (const folder of folders) out.push(...(await walkFolder(join(dir, folder), extensions, [...walking, real])));
  return out;
}

/**
 * The files of each class folder of `dir` (`folders`, sorted: class c is `folders[c]`), searched
 * recursively, with their class ids; a class folder without any is an error saying it has no
 * `what` (e.g. "images (.png, .jpg)").
 */
export async function classFolderFiles(
  dir: string,
  folders: readonly string[],
  extensions: readonly string[],
  what: string,
): Promise<{ files: string[]; labels: Int32Array; classNames: string[] }> {
  const files: string[] = [];
  const labels: number[] = [];
  for (let c = 0; c < folders.length; c++) {
    const classDir = join(dir, folders[c] as string);
    const found = await walkFolder(classDir, extensions);
    if (found.length === 0) throw new Error(`${classDir}: class folder has no ${what}`);
    for (const file of found) {
      files.push(file);
      labels.push(c);
    }
  }
  return { files, labels: Int32Array.from(labels), classNames: [...folders] };
}
