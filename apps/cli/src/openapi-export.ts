import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AppConfig } from '@auxilia/core';
import { createApp } from '../../api/src/bootstrap';
import { buildOpenApiDocument, CONTRACT_FILES, renderContract } from '../../api/src/openapi';

/** Regenerates the committed contract (openapi.yaml and the consumer types) from the app itself. */
export async function openapiExport(config: AppConfig): Promise<number> {
  const app = await createApp(config, { microservice: false });
  try {
    const rendered = await renderContract(buildOpenApiDocument(app));
    for (const [kind, path] of Object.entries(CONTRACT_FILES)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, rendered[kind as keyof typeof CONTRACT_FILES]);
      console.log(`wrote ${path}`);
    }
    return 0;
  } finally {
    await app.close();
  }
}
