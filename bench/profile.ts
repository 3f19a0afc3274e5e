import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join, relative } from 'node:path';

export interface ProfileFrame {
  /** Function name and where it is: a source file of the project, a package, or node internals. */
  frame: string;
  selfMs: number;
  selfPercent: number;
}

export interface ProfileSummary {
  file: string;
  /** Sampled time not idle: the percentages are of this. */
  busyMs: number;
  idleMs: number;
  top: ProfileFrame[];
  /**
   * Self time by package (`auxilia`: the project's code), Node's own JS and C++ work (socket writes,
   * stream plumbing) charged to the nearest package that called it.
   */
  byPackage: ProfileFrame[];
  /** The project's own functions by total time, callees included (`selfMs` holds that total here). */
  ownTotal: ProfileFrame[];
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

/** The newest `.cpuprofile` in a folder, if any. */
export function newestProfile(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

function loadSourceMap(bundle: string): SourceMap | undefined {
  try {
    return new SourceMap(
      JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0],
    );
  } catch {
    return undefined;
  }
}

function packageOf(path: string, name: string): string {
  if (/^\((program|garbage collector)\)$/.test(name)) return name;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (m) return m[1];
  // Builtins without a script (writev, writeUtf8String, parse...) are the runtime's C++ side.
  if (path === '') return 'native';
  if (path.startsWith('node:')) return 'node';
  return 'auxilia';
}

const MODULE_INIT = /^(\d+ |__webpack_require__ |\(anonymous\) (dist|webpack)\/)/;

interface Label {
  frame: string;
  pkg: string;
}

function labels(profile: CpuProfile): Map<number, Label> {
  const maps = new Map<string, SourceMap | undefined>();
  const out = new Map<number, Label>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    let where = url.replace(/^file:\/\//, '');
    let line = lineNumber + 1;
    if (where.endsWith('.js') && !where.includes('node_modules') && existsSync(`${where}.map`)) {
      if (!maps.has(where)) maps.set(where, loadSourceMap(where));
      const entry = maps.get(where)?.findEntry(lineNumber, columnNumber);
      if (entry && 'originalSource' in entry && entry.originalSource) {
        where = entry.originalSource.replace(/^webpack:\/\/[^/]*\//, '').replace(/^\.\//, '');
        line = entry.originalLine + 1;
      }
    }
    if (where.startsWith('/')) where = relative(process.cwd(), where);
    const frame = where ? `${name} ${where.replace(/^.*node_modules\//, '')}:${line}` : name;
    out.set(node.id, { frame, pkg: packageOf(where, name) });
  }
  return out;
}

/**
 * Self time per function from a V8 CPU profile, and the total time (callees included) of the
 * project's own functions. Frames in the service's bundle are mapped back to their source file
 * through the bundle's source map, so they name `libs/...` rather than `main.js`.
 */
export function summarizeProfile(file: string, limit = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const label = labels(profile);
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // Node's own JS and C++ (socket writes, stream plumbing) is charged to the nearest package calling it.
  const charged = new Map<number, string>();
  const chargedTo = (id: number): string => {
    let group = charged.get(id);
    if (group === undefined) {
      const own = label.get(id)?.pkg ?? 'node';
      const up = parent.get(id);
      group =
        own !== 'node' && own !== 'native'
          ? own
          : up === undefined
            ? 'node (no package above)'
            : chargedTo(up);
      charged.set(id, group);
    }
    return group;
  };
  const self = new Map<string, number>();
  const perPackage = new Map<string, number>();
  const ownTotal = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const l = label.get(id);
    if (!l || us <= 0) return;
    // Waiting is not cost: percentages are of the time the process was busy.
    if (l.frame.startsWith('(idle)')) {
      idle += us;
      return;
    }
    total += us;
    self.set(l.frame, (self.get(l.frame) ?? 0) + us);
    perPackage.set(chargedTo(id), (perPackage.get(chargedTo(id)) ?? 0) + us);
    // Each project function on the stack once, however deep it recurses.
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const f = label.get(n);
      // Module bodies of the bundle (numeric webpack ids, the bootstrap) are start-up, not request work.
      if (f?.pkg === 'auxilia' && !seen.has(f.frame) && !MODULE_INIT.test(f.frame)) {
        seen.add(f.frame);
        ownTotal.set(f.frame, (ownTotal.get(f.frame) ?? 0) + us);
      }
    }
  });
  const rank = (m: Map<string, number>, n: number): ProfileFrame[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([frame, us]) => ({
        frame,
        selfMs: Math.round(us / 100) / 10,
        selfPercent: Math.round((us / total) * 1000) / 10,
      }));
  return {
    file,
    busyMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    top: rank(self, limit),
    byPackage: rank(perPackage, 15),
    ownTotal: rank(ownTotal, 20),
  };
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node dist/bench/bench/profile.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  const summary = summarizeProfile(file, Number(process.argv[3] ?? 25));
  console.log(`${summary.file}: ${summary.busyMs} ms busy, ${summary.idleMs} ms idle`);
  const print = (title: string, frames: ProfileFrame[]) => {
    console.log(`\n${title}`);
    for (const f of frames)
      console.log(
        `${f.selfMs.toFixed(1).padStart(9)} ms ${f.selfPercent.toFixed(1).padStart(5)} %  ${f.frame}`,
      );
  };
  print('self time by function', summary.top);
  print('self time by package (node internals charged to their caller)', summary.byPackage);
  print("total time of the project's functions (callees included)", summary.ownTotal);
}
