// Edits a device tree without changing the original: each function returns a new `Fdt` sharing
// every node it did not touch. New properties and nodes go first in their node, where libfdt (and
// so `fdtput` and the kernel's kexec code) puts them, so `dtc` prints our result and theirs alike.

import { CrashplugError } from '../base/errors.js';
import { type Fdt, type FdtNode, fdtBaseName, fdtJoinPath, fdtPathComponents } from './fdt.js';

type NodeEdit = (node: FdtNode, path: string) => FdtNode;

function childIndex(node: FdtNode, name: string): number {
  const exact = node.children.findIndex((c) => c.name === name);
  if (exact >= 0 || name.includes('@')) return exact;
  return node.children.findIndex((c) => fdtBaseName(c.name) === name);
}

function noSuchNode(fdt: Fdt, path: string): CrashplugError {
  return new CrashplugError('E_BAD_ARGUMENT', `${fdt.origin}: no node "${path}" to edit; add its parent nodes first`);
}

/** Rebuild the nodes from the root down to `path`, applying `edit` to the node at the end. */
function editAt(fdt: Fdt, path: string, edit: NodeEdit): Fdt {
  const components = fdtPathComponents(path);
  const spine: { node: FdtNode; index: number }[] = [];
  let node = fdt.root;
  let resolved = '/';
  for (const component of components) {
    const index = childIndex(node, component);
    if (index < 0) throw noSuchNode(fdt, path);
    spine.push({ node, index });
    node = node.children[index]!;
    resolved = fdtJoinPath(resolved, node.name);
  }
  let rebuilt = edit(node, resolved);
  for (let i = spine.length - 1; i >= 0; i--) {
    const { node: parent, index } = spine[i]!;
    const children = parent.children.slice();
    children[index] = rebuilt;
    rebuilt = { ...parent, children };
  }
  return { ...fdt, root: rebuilt };
}

/** Add a property, or change its value where it already exists (in place, keeping its position). */
export function fdtSetProperty(fdt: Fdt, path: string, name: string, value: Uint8Array): Fdt {
  if (name === '') throw new CrashplugError('E_BAD_ARGUMENT', 'a device-tree property needs a name');
  const copy = value.slice();
  return editAt(fdt, path, (node) => {
    const at = node.properties.findIndex((p) => p.name === name);
    const properties = node.properties.slice();
    if (at >= 0) properties[at] = { name, value: copy };
    else properties.unshift({ name, value: copy });
    return { ...node, properties };
  });
}

export function fdtDeleteProperty(fdt: Fdt, path: string, name: string): Fdt {
  return editAt(fdt, path, (node, resolved) => {
    if (!node.properties.some((p) => p.name === name)) {
      throw new CrashplugError('E_BAD_ARGUMENT', `${fdt.origin}: node "${resolved}" has no property "${name}" to delete`);
    }
    return { ...node, properties: node.properties.filter((p) => p.name !== name) };
  });
}

/** Add an empty node `name` under `parentPath`. */
export function fdtAddNode(fdt: Fdt, parentPath: string, name: string): Fdt {
  if (name === '' || name.includes('/')) {
    throw new CrashplugError('E_BAD_ARGUMENT', `"${name}" is not a node name; give one path component, e.g. "memory@80000000"`);
  }
  return editAt(fdt, parentPath, (node, resolved) => {
    if (node.children.some((c) => c.name === name)) {
      throw new CrashplugError('E_BAD_ARGUMENT', `${fdt.origin}: node "${fdtJoinPath(resolved, name)}" already exists`);
    }
    return { ...node, children: [{ name, properties: [], children: [] }, ...node.children] };
  });
}

/** Remove the node at `path` and everything below it. */
export function fdtDeleteNode(fdt: Fdt, path: string): Fdt {
  const components = fdtPathComponents(path);
  const last = components.pop();
  if (last === undefined) throw new CrashplugError('E_BAD_ARGUMENT', 'the root node cannot be deleted');
  const parentPath = `/${components.join('/')}`;
  return editAt(fdt, parentPath, (node) => {
    const index = childIndex(node, last);
    if (index < 0) throw noSuchNode(fdt, path);
    return { ...node, children: node.children.filter((_, i) => i !== index) };
  });
}
