import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '@auxilia/core';

/** Runs a store operation; a Redis failure becomes a 503 problem instead of an unexplained 500. */
export async function orUnavailable<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (err) {
    if (err instanceof ProblemException) throw err;
    throw new ProblemException(
      HttpStatus.SERVICE_UNAVAILABLE,
      'store-unavailable',
      'Service Unavailable',
      'The OAuth store (Redis) is unavailable; try again shortly',
    );
  }
}
