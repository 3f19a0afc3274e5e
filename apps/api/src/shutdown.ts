import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';

@Injectable()
export class ShutdownLogger implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');

  beforeApplicationShutdown(signal?: string): void {
    if (signal)
      this.logger.log(`${signal} received: no new connections; finishing open streams, then closing Redis`);
  }
}
