import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Controller, Get, HttpStatus, Param, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { ProblemException, Public, type AppConfig } from '@auxilia/core';

// Built names only (`playground.3f9a1c2e.js`): no path separator and no leading dot can reach send().
const ASSET_NAME = /^[A-Za-z0-9][\w-]*(\.[\w-]+)+$/;

// The page talks to this origin only; the authorization pages it opens are navigations, not fetches.
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Where `npm run build` wrote the page: beside the API bundle (dist/apps/api → dist/playground) or,
 * when the API runs from its sources, under the working directory.
 */
function builtPageDir(): string | undefined {
  const candidates = [
    ...(typeof __dirname === 'string' ? [join(__dirname, '..', '..', 'playground')] : []),
    resolve('dist', 'playground'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

function notFound(detail: string): ProblemException {
  return new ProblemException(HttpStatus.NOT_FOUND, 'not-found', 'Not Found', detail);
}

function sendFile(res: Response, path: string, options: Parameters<Response['sendFile']>[1]): Promise<void> {
  return new Promise((done, fail) =>
    res.sendFile(path, { ...options, dotfiles: 'deny' }, (err) =>
      err ? fail(notFound('No such file')) : done(),
    ),
  );
}

/** A page for trying the API from a browser (apps/playground), built with the API and served by it. */
@ApiExcludeController()
@Public()
@Controller()
export class PlaygroundController {
  private readonly enabled: boolean;

  constructor(config: ConfigService<AppConfig, true>) {
    this.enabled = config.get('playground', { infer: true }).enabled;
  }

  @Get()
  async page(@Res() res: Response): Promise<void> {
    const dir = this.pageDir();
    res.setHeader('content-security-policy', PAGE_CSP);
    res.setHeader('cache-control', 'no-cache');
    await sendFile(res, join(dir, 'index.html'), { cacheControl: false });
  }

  @Get('playground/assets/:file')
  async asset(@Param('file') file: string, @Res() res: Response): Promise<void> {
    const dir = this.pageDir();
    const path = join(dir, 'assets', file);
    if (!ASSET_NAME.test(file) || !existsSync(path)) throw notFound(`No playground asset "${file}"`);
    // Asset names carry a hash of their content.
    await sendFile(res, path, { maxAge: '365d', immutable: true });
  }

  private pageDir(): string {
    if (!this.enabled) throw notFound('The playground is off (PLAYGROUND=false)');
    const dir = builtPageDir();
    if (!dir) throw notFound('The playground page is not built: run `npm run build`');
    return dir;
  }
}
