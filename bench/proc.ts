import { execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { round } from './stats';

/** Kernel clock ticks per second: utime and stime in /proc/<pid>/stat count these. */
export const CLOCK_TICKS = (() => {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
})();

function statFields(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are only safe after the last ')'.
    return raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of one process, in ms; 0 once it is gone. */
export function cpuMs(pid: number): number {
  const f = statFields(pid);
  // After the name: [0] state, [1] ppid, ... [11] utime, [12] stime (fields 14 and 15 of proc(5)).
  if (!f) return 0;
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
}

/** A `Vm*` line of /proc/<pid>/status in KB (VmRSS: now, VmHWM: peak); 0 once the process is gone. */
export function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The process and every descendant (npx → npm → sh → node → tsx → node for the peer). */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f) parentOf.set(Number(name), Number(f[1]));
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === out[i]) out.push(pid);
  }
  return out.filter((pid) => parentOf.has(pid));
}

/** CPU and memory of one process or of a process tree, sampled from /proc. */
export class ProcessMeter {
  constructor(
    readonly root: number,
    private readonly tree = false,
    /** For a tree: its largest member (a server behind launchers), or the sum (workers of one server). */
    private readonly rss: 'largest' | 'sum' = 'largest',
  ) {}

  pids(): number[] {
    return this.tree ? processTree(this.root) : [this.root];
  }

  cpuMs(): number {
    return this.pids().reduce((sum, pid) => sum + cpuMs(pid), 0);
  }

  /**
   * For a tree, the largest member (the server, not the launchers in front of it) or the sum of all; summed
   * peaks (`VmHWM`) may come from different moments, so their sum is at most an overestimate.
   */
  rssKb(field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
    const each = this.pids().map((pid) => statusKb(pid, field));
    return this.rss === 'sum' ? each.reduce((a, b) => a + b, 0) : Math.max(0, ...each);
  }
}

export interface Quiet {
  /** How long the wait took (ms). */
  waitedMs: number;
  /** The processes' CPU use over the last window, in CPUs (1 = one CPU busy all the window). */
  load: number;
}

/**
 * Until the processes together use less than `maxLoad` CPUs over a window, or `timeoutMs` has passed:
 * a cell does not start while a target, or the model, is still working off the cell before it.
 */
export async function untilQuiet(
  meters: ProcessMeter[],
  { windowMs = 500, maxLoad = 0.1, timeoutMs = 5_000 } = {},
): Promise<Quiet> {
  const start = performance.now();
  const used = () => meters.reduce((sum, m) => sum + m.cpuMs(), 0);
  for (;;) {
    const before = used();
    const from = performance.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const now = performance.now();
    const load = (used() - before) / (now - from);
    if (load < maxLoad || now - start >= timeoutMs) {
      return { waitedMs: round(now - start, 0), load: round(load, 3) };
    }
  }
}

type Stopper = () => Promise<void>;

/** Everything the run started, stopped in reverse order on success, failure or Ctrl-C. */
export class Children {
  private readonly stoppers: Array<{ name: string; stop: Stopper }> = [];
  private stopping: Promise<void> | undefined;

  add(name: string, stop: Stopper): void {
    this.stoppers.push({ name, stop });
  }

  /** A spawned process: SIGTERM to it (its group when detached), SIGKILL after `graceMs`. */
  addProcess(name: string, child: ChildProcess, graceMs = 5000): void {
    this.add(name, () => terminate(child, graceMs));
  }

  /** Stops one of them early (the peer once its measurements are done), leaving the others. */
  async stopOne(name: string): Promise<void> {
    const i = this.stoppers.findIndex((s) => s.name === name);
    if (i === -1) return;
    const [{ stop }] = this.stoppers.splice(i, 1);
    await stop();
  }

  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { name, stop } of this.stoppers.reverse()) {
        try {
          await stop();
        } catch (err) {
          console.error(`stopping ${name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    return this.stopping;
  }
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // A detached child leads its own process group: the signal reaches the launchers and the server.
    if (detachedChildren.has(child)) process.kill(-child.pid, sig);
    else child.kill(sig);
  } catch {
    // Already gone.
  }
}

export const detachedChildren = new WeakSet<ChildProcess>();

export function terminate(child: ChildProcess, graceMs = 5000): Promise<void> {
  const alive = child.exitCode === null && child.signalCode === null;
  if (!alive && !detachedChildren.has(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      // Members of a detached group may outlive its leader.
      if (detachedChildren.has(child)) signal(child, 'SIGKILL');
      resolve();
    };
    const timer = setTimeout(() => {
      signal(child, 'SIGKILL');
      setTimeout(done, 200);
    }, graceMs);
    if (!alive) return done();
    child.once('exit', done);
    signal(child, 'SIGTERM');
  });
}

/** A descendant of this process running `command` (e.g. the throwaway redis-server). */
export function findChild(command: string): number | undefined {
  return processTree(process.pid).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === command;
    } catch {
      return false;
    }
  });
}
