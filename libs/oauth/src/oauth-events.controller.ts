import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RedisContext } from '@nestjs/microservices';
import { isOAuthOutcome, OAuthEvents } from './oauth-events';
import { CALLBACK_CHANNEL_PREFIX } from './oauth.types';

/** Hears every instance's callback outcomes over the Redis transport and resolves this instance's waiters. */
@Controller()
export class OAuthEventsController {
  private readonly logger = new Logger('OAuthEvents');

  constructor(private readonly events: OAuthEvents) {}

  @EventPattern<string>(`${CALLBACK_CHANNEL_PREFIX}*`)
  onCallback(@Payload() payload: unknown, @Ctx() ctx: RedisContext): void {
    const channel = ctx.getChannel();
    if (!isOAuthOutcome(payload) || channel !== CALLBACK_CHANNEL_PREFIX + payload.state) {
      this.logger.warn(`Ignoring a malformed message on ${channel}`);
      return;
    }
    this.events.deliver(payload);
  }
}
