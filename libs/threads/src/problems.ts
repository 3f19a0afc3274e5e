import { ProblemException } from '@auxilia/core';

export function runActive(threadId: string): ProblemException {
  return new ProblemException(
    409,
    'run-active',
    'A run is active',
    `Thread "${threadId}" is already running; stop it or wait for it to end`,
    { error: 'run_active' },
  );
}

export function shuttingDown(): ProblemException {
  return new ProblemException(
    503,
    'shutting-down',
    'Shutting down',
    'This instance is shutting down; retry on another one',
    { error: 'shutting_down' },
  );
}
