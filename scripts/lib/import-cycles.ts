// Finds import cycles among the TypeScript files of one folder. Type-only imports count:
// eslint's import/no-cycle skips them by design, yet a type cycle still ties two modules
// together (neither can move or be read alone), and the router's one cycle was type-only.
// TypeScript itself lists the imports (preProcessFile) and resolves them (resolveModuleName),
// so `.js` specifiers, `export … from` and dynamic imports resolve exactly as tsc sees them.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const options: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts') && !f.split('/').includes('node_modules'))
    .map((f) => join(dir, f));
}

/** File → the files of the same folder it imports (values or types). */
export function importGraph(dir: string): Map<string, string[]> {
  const files = sourceFiles(dir);
  const inside = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set<string>();
    for (const { fileName } of importedFiles) {
      const resolved = ts.resolveModuleName(fileName, file, options, ts.sys).resolvedModule?.resolvedFileName;
      if (resolved && inside.has(resolved)) targets.add(resolved);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** One cycle per strongly connected component, as a path `a → b → a` relative to `dir`. */
export function importCycles(dir: string): string[] {
  const graph = importGraph(dir);
  const cycles: string[] = [];
  for (const component of stronglyConnected(graph)) {
    const first = component[0]!;
    const selfLoop = graph.get(first)!.includes(first);
    if (component.length === 1 && !selfLoop) continue;
    const path = pathBack(graph, new Set(component), first);
    cycles.push([...path, first].map((f) => relative(dir, f)).join(' → '));
  }
  return cycles;
}

// Tarjan's algorithm; the graphs are small enough for recursion.
function stronglyConnected(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      out.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

// Shortest path from `start` back to itself inside one component (breadth first).
function pathBack(graph: Map<string, string[]>, component: Set<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return path;
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}
