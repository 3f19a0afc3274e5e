import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE, ProblemDto } from './problem';

/** Declares error responses as problem details in the contract: `@ApiProblems([404, 'No such server'])`. */
export function ApiProblems(...responses: [status: number, description: string][]) {
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...responses.map(([status, description]) =>
      ApiResponse({
        status,
        description,
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
      }),
    ),
  );
}
