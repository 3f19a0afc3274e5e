import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MessageEvent } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import { lastValueFrom, of, toArray, type Observable } from 'rxjs';
import { ProblemException, RedisKeys, SecretCipher } from '@auxilia/core';
import { OAuthEvents } from './oauth-events';
import { OAuthWaitController } from './oauth-wait.controller';
import { RedisOAuthStore } from './redis-oauth.store';
import type { FlowRecord, OAuthOutcome } from './oauth.types';

let redis: Redis;
let store: RedisOAuthStore;
let events: OAuthEvents;
let controller: OAuthWaitController;
const published: { channel: string; outcome: unknown }[] = [];

beforeAll(() => {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set');
  redis = new Redis(url);
  store = new RedisOAuthStore(
    redis,
    new RedisKeys(`wait-spec-${randomUUID().slice(0, 8)}:`),
    new SecretCipher(randomBytes(32)),
  );
  const client = {
    emit: (channel: string, outcome: unknown) => {
      published.push({ channel, outcome });
      return of(undefined);
    },
  } as unknown as ClientProxy;
  events = new OAuthEvents(client, store);
  controller = new OAuthWaitController(events, store);
});

afterAll(() => redis.quit());

function flow(serverId: string): FlowRecord {
  return {
    state: randomBytes(24).toString('base64url'),
    serverId,
    serverUrl: 'http://127.0.0.1:9/mcp',
    redirectUrl: `http://127.0.0.1:9/mcp-servers/${serverId}/callback`,
    authorizationUrl: 'http://127.0.0.1:9/authorize',
    verifier: 'v',
    expiresAt: new Date().toISOString(),
  };
}

const collect = (events$: Observable<MessageEvent>) => lastValueFrom(events$.pipe(toArray()));

describe('OAuthWaitController', () => {
  it('sends timeout when the state expires without a callback', async () => {
    const record = flow('slow');
    await store.saveFlow(record, 300);
    const received = await collect(await controller.wait('slow', { state: record.state }));
    expect(received).toEqual([
      { id: '1', type: 'timeout', data: { status: 'timeout', serverId: 'slow', state: record.state } },
    ]);
  });

  it('sends the outcome published while it waits, once, and reports authorized$', async () => {
    const record = flow('live');
    await store.saveFlow(record, 60_000);
    const authorized: string[] = [];
    const sub = events.authorized$.subscribe((a) => authorized.push(a.state));
    const pending = collect(await controller.wait('live', { state: record.state }));
    const outcome: OAuthOutcome = { serverId: 'live', state: record.state, status: 'authorized' };
    await events.publish(outcome);
    events.deliver(outcome);
    expect(await pending).toEqual([{ id: '1', type: 'authorized', data: outcome }]);
    expect(authorized).toEqual([record.state]);
    expect(published).toContainEqual({ channel: `auth:callback:${record.state}`, outcome });
    sub.unsubscribe();
  });

  it('answers 503 when Redis is unavailable', async () => {
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    const unavailable = new OAuthWaitController(
      events,
      new RedisOAuthStore(down, new RedisKeys('down:'), new SecretCipher(randomBytes(32))),
    );
    const failure = await unavailable.wait('x', { state: 'some-state-1' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ProblemException);
    expect((failure as ProblemException).getStatus()).toBe(503);
    down.disconnect();
  });

  it('answers 404 for an unknown state and for another server', async () => {
    await expect(controller.wait('x', { state: 'never-issued-state' })).rejects.toBeInstanceOf(
      ProblemException,
    );
    const record = flow('mine');
    await store.saveFlow(record, 60_000);
    await expect(controller.wait('theirs', { state: record.state })).rejects.toBeInstanceOf(ProblemException);
  });
});
