/**
 * The signals that stop the service gracefully (new runs refused, open streams given
 * `SHUTDOWN_GRACE_MS`), for one process and for the primary of several alike. Nest's default would also
 * take SIGUSR2, which Node's diagnostics use (`--heapsnapshot-signal=SIGUSR2` writes a heap snapshot of the
 * live process), and signals such as SIGSEGV that leave no safe state to run a shutdown in.
 */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];
