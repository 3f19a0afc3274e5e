import { BadRequestException, type Type } from '@nestjs/common';
import { expect } from '@jest/globals';
import { createValidationPipe } from '@auxilia/core';

const pipe = createValidationPipe();

/**
 * Runs input through the app's global validation pipe: it must come out as a value or a 400, never
 * any other error (the property every DTO holds under arbitrary input).
 */
export async function expectValueOr400(
  metatype: Type,
  type: 'body' | 'query',
  input: unknown,
): Promise<void> {
  try {
    await pipe.transform(input, { type, metatype });
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
  }
}
