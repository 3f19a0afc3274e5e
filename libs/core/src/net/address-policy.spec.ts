import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkOutboundUrl, OutboundRefusedError, refusalOf } from './address-policy';
import { guardedFetch } from './outbound-guard';

describe('refusalOf', () => {
  const refused: [string, RegExp][] = [
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['::1', /loopback/],
    ['0.0.0.0', /unspecified/],
    ['::', /unspecified/],
    ['10.1.2.3', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['100.64.0.1', /CGNAT/],
    ['100.127.255.254', /CGNAT/],
    ['169.254.1.1', /link-local/],
    ['169.254.169.254', /metadata/],
    ['fd00:ec2::254', /metadata/],
    ['fd12:3456::1', /private/],
    ['fc00::1', /private/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['::ffff:127.0.0.1', /loopback/],
    ['::ffff:7f00:1', /loopback/],
    ['::ffff:a9fe:a9fe', /metadata/],
    ['::ffff:10.0.0.1', /private/],
    ['::ffff:0.0.0.0', /unspecified/],
    ['64:ff9b::192.168.0.1', /private/],
    ['[::1]', /loopback/],
    ['224.0.0.1', /multicast/],
    ['localhost', /not an IP/],
  ];
  it.each(refused)('refuses %s', (address, reason) => {
    expect(refusalOf(address)).toMatch(reason);
  });

  const allowed = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'];
  it.each(allowed)('allows %s', (address) => {
    expect(refusalOf(address)).toBeUndefined();
  });
});

describe('checkOutboundUrl', () => {
  const resolve = (map: Record<string, string[]>) => (name: string) => Promise.resolve(map[name] ?? []);
  const options = { allowPrivate: false, resolve: resolve({ 'public.example': ['93.184.215.14'] }) };

  const refusedUrls: [string, RegExp][] = [
    ['ftp://public.example/', /only http and https/],
    ['file:///etc/passwd', /only http and https/],
    ['http://127.0.0.1:8080/mcp', /loopback/],
    ['http://[::1]/mcp', /loopback/],
    ['http://[::ffff:127.0.0.1]/mcp', /loopback/],
    ['http://2130706433/', /loopback/],
    ['http://0x7f.1/', /loopback/],
    ['http://169.254.169.254/latest/meta-data', /metadata/],
    ['http://metadata.google.internal/computeMetadata/v1', /metadata/],
    ['http://METADATA.GOOGLE.INTERNAL./', /metadata/],
    ['http://0.0.0.0:3000/', /unspecified/],
    ['http://unknown.example/', /does not resolve/],
    ['not a url', /not a valid URL/],
  ];
  it.each(refusedUrls)('refuses %s', async (url, reason) => {
    await expect(checkOutboundUrl(url, options)).rejects.toThrow(reason);
  });

  it('refuses a name when any of its addresses is private', async () => {
    const mixed = {
      allowPrivate: false,
      resolve: resolve({ 'mixed.example': ['93.184.215.14', '10.0.0.5'] }),
    };
    await expect(checkOutboundUrl('https://mixed.example/', mixed)).rejects.toThrow(/resolves to a private/);
  });

  it('allows a public name and, with allowPrivate, anything http(s)', async () => {
    await expect(checkOutboundUrl('https://public.example/mcp', options)).resolves.toBeUndefined();
    await expect(checkOutboundUrl('http://127.0.0.1/', { allowPrivate: true })).resolves.toBeUndefined();
    await expect(checkOutboundUrl('gopher://127.0.0.1/', { allowPrivate: true })).rejects.toThrow(
      OutboundRefusedError,
    );
  });

  it('resolves names through the system resolver by default', async () => {
    await expect(checkOutboundUrl('http://localhost:1/', { allowPrivate: false })).rejects.toThrow(
      /loopback/,
    );
  });
});

describe('guardedFetch', () => {
  let target: Server;
  let redirector: Server;
  let targetHits = 0;
  let redirectorPort = 0;
  let targetPort = 0;

  const listen = (server: Server) =>
    new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );

  beforeAll(async () => {
    target = createServer((_req, res) => {
      targetHits++;
      res.end('secret');
    });
    targetPort = await listen(target);
    redirector = createServer((req, res) => {
      if (req.url === '/same') return res.writeHead(302, { location: '/final' }).end();
      if (req.url === '/final') return res.end(req.headers.authorization ?? 'ok');
      res.writeHead(302, { location: `http://127.0.0.1:${targetPort}/` }).end();
    });
    redirectorPort = await listen(redirector);
  });

  afterAll(async () => {
    await new Promise((resolve) => target.close(resolve));
    await new Promise((resolve) => redirector.close(resolve));
  });

  // Only the redirecting server is allowed: it stands for a public server.
  const fetchGuarded = () =>
    guardedFetch({ allowPrivate: false, allow: ({ port }) => port === String(redirectorPort) });

  it('refuses a redirect to a loopback address before requesting it', async () => {
    await expect(fetchGuarded()(`http://127.0.0.1:${redirectorPort}/`)).rejects.toThrow(/loopback/);
    expect(targetHits).toBe(0);
  });

  it('follows a redirect to an allowed address, keeping credentials within the origin', async () => {
    const response = await fetchGuarded()(`http://127.0.0.1:${redirectorPort}/same`, {
      headers: { authorization: 'Bearer t' },
    });
    expect(await response.text()).toBe('Bearer t');
  });

  it('hands a manual redirect back unfollowed (the caller checks the next hop through it again)', async () => {
    const response = await fetchGuarded()(`http://127.0.0.1:${redirectorPort}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(targetHits).toBe(0);
  });

  it('refuses the first request too', async () => {
    await expect(fetchGuarded()(`http://127.0.0.1:${targetPort}/`)).rejects.toThrow(/loopback/);
    expect(targetHits).toBe(0);
  });
});

describe('guardedFetch and async contexts', () => {
  it('sends every request, redirects included, outside the async context of the caller', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/start') return res.writeHead(302, { location: '/end' }).end();
      res.end('done');
    });
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
    const caller = new AsyncLocalStorage<string>();
    const contexts: unknown[] = [];
    const recording: typeof fetch = (input, init) => {
      contexts.push(caller.getStore());
      return fetch(input, init);
    };
    try {
      const send = guardedFetch({ allowPrivate: true }, recording);
      const text = await caller.run('a run', async () => {
        const response = await send(`http://127.0.0.1:${port}/start`);
        // The caller goes on in its own context.
        expect(caller.getStore()).toBe('a run');
        return response.text();
      });
      expect(text).toBe('done');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(contexts).toEqual([undefined, undefined]);
  });
});
