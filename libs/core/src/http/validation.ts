import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';
import { problemType } from './problem';

function flatten(errors: ValidationError[], parent = ''): { field: string; messages: string[] }[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Strict validation: unknown fields are refused, and a 400 lists every invalid field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
