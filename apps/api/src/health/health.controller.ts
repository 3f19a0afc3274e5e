import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { ApiProblems, ProblemException, Public, RedisHealthIndicator } from '@auxilia/core';
import { HealthDto } from './health.dto';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Public()
  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    operationId: 'getHealth',
    summary: 'Service health',
    description:
      'Checks the dependencies the service needs (Redis). 200 when all are up, 503 with details otherwise.',
  })
  @ApiOkResponse({ type: HealthDto })
  @ApiProblems([503, 'A dependency is down; `checks` says which'])
  async check() {
    try {
      return await this.health.check([() => this.redis.check('redis')]);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const body = err.getResponse() as {
        error?: Record<string, unknown>;
        details?: Record<string, unknown>;
      };
      const down = Object.keys(body.error ?? {});
      throw new ProblemException(503, 'dependency-down', 'Service Unavailable', `Down: ${down.join(', ')}`, {
        checks: body.details ?? {},
      });
    }
  }
}
