import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '@auxilia/core';
import type { PendingAuthorization } from './oauth.types';

/** 401 problem telling the client where the user authorizes: `{ error: 'oauth_required', authorizationUrl, ... }`. */
export class OAuthRequiredException extends ProblemException {
  constructor(pending: PendingAuthorization, detail?: string) {
    super(
      HttpStatus.UNAUTHORIZED,
      'oauth-required',
      'Authorization required',
      detail ?? `MCP server "${pending.serverId}" needs authorization: open authorizationUrl in a browser`,
      {
        error: 'oauth_required',
        serverId: pending.serverId,
        authorizationUrl: pending.authorizationUrl,
        state: pending.state,
        expiresAt: pending.expiresAt,
      },
    );
  }
}
