import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from '@jest/globals';
import { IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import fc from 'fast-check';
import { createValidationPipe, MAX_INPUT_DEPTH } from './validation';

class InnerDto {
  @IsString() @MaxLength(10) name: string;
}

class OuterDto {
  @IsString() id: string;
  @IsOptional() @ValidateNested() @Type(() => InnerDto) inner?: InnerDto;
}

const pipe = createValidationPipe();
const nest = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { inner: value };
  return value;
};

describe('createValidationPipe', () => {
  it('answers any JSON with the value or a 400, never another error', async () => {
    const body = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(
        fc.constantFrom('id', 'inner', 'name', 'extra', '__proto__', 'constructor'),
        fc.jsonValue(),
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        try {
          await pipe.transform(value, { type: 'body', metatype: OuterDto });
        } catch (error) {
          expect(error).toBeInstanceOf(BadRequestException);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses input nested deeper than the limit with a 400 instead of overflowing the stack', async () => {
    await expect(pipe.transform(nest(100_000), { type: 'body', metatype: OuterDto })).rejects.toThrow(
      BadRequestException,
    );
    const deep = await pipe
      .transform({ id: 'x', extra: nest(MAX_INPUT_DEPTH + 1) }, { type: 'body', metatype: OuterDto })
      .catch((error: unknown) => error);
    expect(deep).toBeInstanceOf(BadRequestException);
    expect((deep as BadRequestException).getResponse()).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/nested deeper/),
    });
    await expect(pipe.transform({ id: 'x' }, { type: 'body', metatype: OuterDto })).resolves.toEqual({
      id: 'x',
    });
  });
});
