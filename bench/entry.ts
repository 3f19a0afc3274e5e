import { closeClient } from './http';
import { Children } from './proc';

export interface Entry<T> {
  options: T;
  /** Every process the run starts, stopped on the way out. */
  children: Children;
  /** Stops them all, closes the client's sockets and exits. */
  stop(code: number): Promise<void>;
}

/**
 * What a benchmark command does first: its options, or their usage and exit code 2; and every process it
 * will start stopped on Ctrl-C or SIGTERM (exit code 130).
 */
export function beginEntry<T>(parse: (argv: string[]) => T, what: string): Entry<T> {
  let options: T;
  try {
    options = parse(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  }
  const children = new Children();
  const stop = async (code: number) => {
    await children.stopAll();
    closeClient();
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping every process the ${what} started`);
      void stop(130);
    });
  }
  return { options, children, stop };
}
