import { ApiProperty } from '@nestjs/swagger';

export class HealthDto {
  @ApiProperty({ enum: ['ok', 'error', 'degraded'], example: 'ok' }) status: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { redis: { status: 'up', latencyMs: 0.4 } },
  })
  info: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, example: {} })
  error: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { redis: { status: 'up', latencyMs: 0.4 } },
  })
  details: Record<string, unknown>;
}
