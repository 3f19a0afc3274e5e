import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ProcessMeter, untilQuiet } from './proc';

const children: ChildProcess[] = [];

/** A Node process that spins on the CPU until told `stop` on its stdin, then idles until killed. */
function spinner(): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `let stop = false;
       process.stdin.on('data', () => { stop = true; });
       const spin = () => { const until = Date.now() + 20; while (Date.now() < until); if (!stop) setImmediate(spin); };
       spin();
       setInterval(() => {}, 60_000);`,
    ],
    { stdio: ['pipe', 'ignore', 'ignore'] },
  );
  children.push(child);
  return child;
}

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('untilQuiet', () => {
  it('waits while a process works, and returns once it has stopped', async () => {
    const child = spinner();
    let done = false;
    const quiet = untilQuiet([new ProcessMeter(child.pid!)], {
      windowMs: 200,
      maxLoad: 0.05,
      timeoutMs: 30_000,
    });
    void quiet.then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(done).toBe(false);
    child.stdin!.write('stop\n');
    const { waitedMs, load } = await quiet;
    expect(waitedMs).toBeGreaterThanOrEqual(1_000);
    expect(load).toBeLessThan(0.05);
  });

  it('gives up after its time limit, and says how busy the processes were', async () => {
    const child = spinner();
    const { waitedMs, load } = await untilQuiet([new ProcessMeter(child.pid!)], {
      windowMs: 200,
      maxLoad: 0.05,
      timeoutMs: 600,
    });
    expect(waitedMs).toBeGreaterThanOrEqual(600);
    expect(load).toBeGreaterThanOrEqual(0.05);
  });

  it('returns after one window when nothing works', async () => {
    const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)'], { stdio: 'ignore' });
    children.push(idle);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { waitedMs, load } = await untilQuiet([new ProcessMeter(idle.pid!)], {
      windowMs: 200,
      maxLoad: 0.2,
      timeoutMs: 30_000,
    });
    expect(waitedMs).toBeLessThan(30_000);
    expect(load).toBeLessThan(0.2);
  });
});
