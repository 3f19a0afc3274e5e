import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, type RunningApp } from './support/app';

describe('GET /health through the contract client', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp();
  });
  afterAll(() => running.close());

  it('reports Redis up', async () => {
    const { data, error, response } = await running.api.GET('/health');
    expect({ status: response.status, error }).toEqual({ status: 200, error: undefined });
    expect(data?.status).toBe('ok');
    expect(data?.details).toEqual({ redis: expect.objectContaining({ status: 'up' }) });
  });
});
