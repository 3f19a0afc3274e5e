import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IS_PUBLIC = 'auxilia:public';
/** The contract marks these operations with `security: []` (see the OpenAPI build). */
export const PUBLIC_EXTENSION = 'x-public';

/** A route that needs no API key: health checks and the OAuth callback a browser lands on. */
export function Public() {
  return applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_EXTENSION, true));
}
