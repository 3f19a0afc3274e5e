import {
  type ArgumentMetadata,
  BadRequestException,
  ValidationPipe,
  type ValidationError,
  type ValidationPipeOptions,
} from '@nestjs/common';
import { problemType } from './problem';

function flatten(errors: ValidationError[], parent = ''): { field: string; messages: string[] }[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Deeper JSON than any DTO needs; class-transformer recurses per level and would overflow the stack. */
export const MAX_INPUT_DEPTH = 100;

function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

class StrictValidationPipe extends ValidationPipe {
  constructor(options: ValidationPipeOptions) {
    super(options);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (deeperThan(value, MAX_INPUT_DEPTH)) {
      throw new BadRequestException({
        type: problemType('validation'),
        title: 'Validation failed',
        status: 400,
        detail: `The ${metadata.type} is nested deeper than ${MAX_INPUT_DEPTH} levels`,
      });
    }
    return super.transform(value, metadata);
  }
}

/** Strict validation: unknown fields are refused, and a 400 lists every invalid field. */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return new BadRequestException({
        type: problemType('validation'),
        title: 'Validation failed',
        status: 400,
        detail: fields.map((f) => f.messages.join(', ')).join('; '),
        errors: fields,
      });
    },
  });
}
