export * from './oauth.types';
export * from './oauth-required.exception';
export * from './oauth.service';
export * from './oauth.module';
export { OAuthCallbackService, type CallbackParams, type CallbackResult } from './oauth-callback.service';
export { OUTCOME_TTL_MS, isOAuthOutcome } from './oauth-events';
export { outcomeKey } from './redis-oauth.store';
