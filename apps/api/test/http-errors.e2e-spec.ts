import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { Type as Cast } from 'class-transformer';
import { IsInt, IsString, IsUrl, Max, MinLength, ValidateNested } from 'class-validator';
import { startApp, type RunningApp } from './support/app';

class InnerDto {
  @IsInt() @Max(10) count: number;
}
class ProbeDto {
  @IsString() @MinLength(2) name: string;
  @IsUrl({ require_tld: false }) url: string;
  @ValidateNested() @Cast(() => InnerDto) inner: InnerDto;
}

@Controller('probe')
class ProbeController {
  @Post() echo(@Body() body: ProbeDto) {
    return body;
  }
  @Get('boom') boom() {
    throw new Error('internal detail sk-live-123 at /srv/secret/path');
  }
}
@Module({ controllers: [ProbeController] })
class ProbeModule {}

describe('HTTP errors are problem details', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp({ imports: [ProbeModule] });
  });
  afterAll(() => running.close());

  const problemOf = async (res: Response) => {
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual(expect.objectContaining({ type: expect.any(String), title: expect.any(String) }));
    expect(body.status).toBe(res.status);
    expect(body.requestId).toBe(res.headers.get('x-request-id'));
    return body;
  };

  it('answers an unknown route with 404', async () => {
    const res = await fetch(`${running.baseUrl}/no/such/route`);
    expect(res.status).toBe(404);
    expect((await problemOf(res)).instance).toBe('/no/such/route');
  });

  it('answers malformed JSON with 400', async () => {
    const res = await fetch(`${running.baseUrl}/probe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(res.status).toBe(400);
    await problemOf(res);
  });

  it('answers a body over the limit with 413', async () => {
    const res = await fetch(`${running.baseUrl}/probe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(running.config.http.bodyLimitBytes + 10) }),
    });
    expect(res.status).toBe(413);
    await problemOf(res);
  });

  it('lists each invalid field, nested ones and unknown ones', async () => {
    const res = await fetch(`${running.baseUrl}/probe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', url: 'not a url', inner: { count: 'many' }, extra: true }),
    });
    expect(res.status).toBe(400);
    const body = await problemOf(res);
    const fields = (body.errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['extra', 'inner.count', 'name', 'url']);
  });

  it('passes a valid body through the strict pipe', async () => {
    const res = await fetch(`${running.baseUrl}/probe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ok', url: 'http://localhost:1/x', inner: { count: 3 } }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ name: 'ok', url: 'http://localhost:1/x', inner: { count: 3 } });
  });

  it('hides the message of an unexpected error', async () => {
    const res = await fetch(`${running.baseUrl}/probe/boom`);
    expect(res.status).toBe(500);
    const text = JSON.stringify(await problemOf(res));
    expect(text).not.toMatch(/sk-live|secret|\/srv|at /);
  });

  it('sets security headers and a request id', async () => {
    const res = await fetch(`${running.baseUrl}/health`, { headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});
