/** Query parameters whose values are secrets (OAuth codes, tokens) and never reach a log line. */
const SECRET_QUERY = /^(code|state|token|access_token|refresh_token|id_token|client_secret|api_key|key)$/i;

export function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const name of [...params.keys()]) {
    if (SECRET_QUERY.test(name)) {
      params.set(name, '[REDACTED]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}

/** pino redaction paths: headers and well-known secret fields at any of the first levels. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...[
    'token',
    'accessToken',
    'access_token',
    'refreshToken',
    'refresh_token',
    'clientSecret',
    'client_secret',
  ]
    .concat(['password', 'apiKey', 'api_key', 'authorization', 'code', 'codeVerifier', 'code_verifier'])
    .flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];
