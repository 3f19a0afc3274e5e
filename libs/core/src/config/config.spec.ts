import { availableParallelism } from 'node:os';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(8000);
    expect(c.redis).toEqual({
      url: undefined,
      host: '127.0.0.1',
      port: 6379,
      password: undefined,
      keyPrefix: 'auxilia:',
    });
    expect(c.oauth).toEqual({ redirectBaseUrl: 'http://localhost:8000', callbackTimeoutS: 300 });
    expect(c.log.level).toBe('info');
    expect(c.agents).toEqual({ file: 'config/agents.json', recursionLimit: 25, checkpointsKeep: 'latest' });
    expect(c.encryptionKey).toBeUndefined();
  });

  it('reads every variable', () => {
    const key = Buffer.alloc(32, 7);
    const c = loadConfig({
      REDIS_HOST: 'cache',
      REDIS_PORT: '6380',
      REDIS_PASSWORD: 'pw',
      REDIS_KEY_PREFIX: 'x:',
      PORT: '9000',
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: 'http://localhost:11434/v1',
      OPENAI_MODEL: 'llama3',
      OAUTH_REDIRECT_BASE_URL: 'https://api.example.com/',
      OAUTH_CALLBACK_TIMEOUT_S: '120',
      ENCRYPTION_KEY: key.toString('base64'),
      LOG_LEVEL: 'debug',
      AGENTS_FILE: 'agents.json',
      AGENT_RECURSION_LIMIT: '40',
      CHECKPOINTS_KEEP: 'all',
    });
    expect(c.redis).toEqual({ url: undefined, host: 'cache', port: 6380, password: 'pw', keyPrefix: 'x:' });
    expect(c.http.port).toBe(9000);
    expect(c.openai).toEqual({
      apiKey: 'sk-test',
      baseURL: 'http://localhost:11434/v1',
      model: 'llama3',
      maxRetries: 2,
    });
    expect(c.oauth).toEqual({ redirectBaseUrl: 'https://api.example.com', callbackTimeoutS: 120 });
    expect(c.encryptionKey?.equals(key)).toBe(true);
    expect(c.log.level).toBe('debug');
    expect(c.agents).toEqual({ file: 'agents.json', recursionLimit: 40, checkpointsKeep: 'all' });
  });

  it('defaults the OAuth redirect base to the configured port', () => {
    expect(loadConfig({ PORT: '8123' }).oauth.redirectBaseUrl).toBe('http://localhost:8123');
  });

  it('accepts a hex encryption key', () => {
    expect(loadConfig({ ENCRYPTION_KEY: 'ab'.repeat(32) }).encryptionKey).toEqual(Buffer.alloc(32, 0xab));
  });

  it('reads API_KEYS as a trimmed list, empty when unset', () => {
    expect(loadConfig({}).apiKeys).toEqual([]);
    expect(loadConfig({ API_KEYS: ' aaaaaaaaaaaaaaaa , bbbbbbbbbbbbbbbbbb' }).apiKeys).toEqual([
      'aaaaaaaaaaaaaaaa',
      'bbbbbbbbbbbbbbbbbb',
    ]);
  });

  it('refuses a short API key without echoing it', () => {
    const problems = problemsOf({ API_KEYS: 'aaaaaaaaaaaaaaaa,short-key' });
    expect(problems).toEqual([expect.stringContaining('API_KEYS must be a comma-separated list')]);
    expect(problems.join(' ')).not.toContain('short-key');
  });

  it('serves the playground unless NODE_ENV is production, and PLAYGROUND wins', () => {
    expect(loadConfig({}).playground.enabled).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).playground.enabled).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', PLAYGROUND: 'true' }).playground.enabled).toBe(true);
    expect(loadConfig({ PLAYGROUND: 'false' }).playground.enabled).toBe(false);
  });

  it('serves from one process unless API_WORKERS asks for more; auto is one per CPU', () => {
    expect(loadConfig({}).http.workers).toBe(1);
    expect(loadConfig({ API_WORKERS: '' }).http.workers).toBe(1);
    expect(loadConfig({ API_WORKERS: '3' }).http.workers).toBe(3);
    expect(loadConfig({ API_WORKERS: 'auto' }).http.workers).toBe(Math.min(availableParallelism(), 64));
  });

  it('listens through 16 handles unless HTTP_ACCEPT_HANDLES says otherwise', () => {
    expect(loadConfig({}).http.acceptHandles).toBe(16);
    expect(loadConfig({ HTTP_ACCEPT_HANDLES: '1' }).http.acceptHandles).toBe(1);
  });

  it('lets REDIS_URL win over host and port', () => {
    expect(loadConfig({ REDIS_URL: 'redis://r:6390/2', REDIS_HOST: 'other' }).redis.url).toBe(
      'redis://r:6390/2',
    );
  });

  it.each([
    [{ REDIS_PORT: 'abc' }, 'REDIS_PORT must be an integer number (got "abc")'],
    [{ REDIS_PORT: '70000' }, 'REDIS_PORT must not be greater than 65535 (got 70000)'],
    [{ PORT: '8k' }, 'PORT must be an integer number (got "8k")'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of the following values'],
    [{ CHECKPOINTS_KEEP: 'some' }, 'CHECKPOINTS_KEEP must be one of the following values: latest, all'],
    [{ OPENAI_BASE_URL: 'localhost:11434' }, 'OPENAI_BASE_URL must be a URL address'],
    [{ OAUTH_CALLBACK_TIMEOUT_S: '1' }, 'OAUTH_CALLBACK_TIMEOUT_S must not be less than 10'],
    [{ REDIS_KEY_PREFIX: '{a}' }, 'REDIS_KEY_PREFIX must not contain braces or spaces'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL must be a URL address'],
    [{ PLAYGROUND: 'yes' }, 'PLAYGROUND must be a boolean value (got "yes")'],
    [{ API_WORKERS: '0' }, 'API_WORKERS must be auto or a whole number from 1 to 64 (got "0")'],
    [{ API_WORKERS: '65' }, 'API_WORKERS must be auto or a whole number from 1 to 64 (got "65")'],
    [{ API_WORKERS: 'all' }, 'API_WORKERS must be auto or a whole number from 1 to 64 (got "all")'],
    [{ HTTP_ACCEPT_HANDLES: '0' }, 'HTTP_ACCEPT_HANDLES must not be less than 1 (got 0)'],
    [{ HTTP_ACCEPT_HANDLES: '65' }, 'HTTP_ACCEPT_HANDLES must not be greater than 64 (got 65)'],
  ])('names the bad variable: %j', (env, message) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('reports every bad variable at once, without echoing secret values', () => {
    const problems = problemsOf({
      PORT: 'x',
      ENCRYPTION_KEY: 'short-secret',
      REDIS_URL: 'ftp://user:pw-secret@h',
    });
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['ENCRYPTION_KEY', 'PORT', 'REDIS_URL']);
    expect(problems.join(' ')).not.toMatch(/short-secret|pw-secret/);
  });
});
