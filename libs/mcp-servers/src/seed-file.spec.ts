import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { readSeedFile, SeedFileError } from './seed-file';

const dir = mkdtempSync(join(tmpdir(), 'mcp-seed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('readSeedFile', () => {
  it('reads the shipped file: DeepWiki, data.gouv.fr and Notion (OAuth)', () => {
    const servers = readSeedFile('config/mcp-servers.json');
    expect(servers?.map((s) => [s.id, s.url, s.requiresOAuth])).toEqual([
      ['deepwiki', 'https://mcp.deepwiki.com/mcp', false],
      ['data-gouv-fr', 'https://mcp.data.gouv.fr/mcp', false],
      ['notion', 'https://mcp.notion.com/mcp', true],
    ]);
  });

  it('resolves a relative path from the working directory and defaults requiresOAuth to false', () => {
    const path = file('ok.json', JSON.stringify([{ id: 'a', name: 'A', url: 'http://127.0.0.1:1/mcp' }]));
    expect(readSeedFile(relative(process.cwd(), path))).toEqual([
      { id: 'a', name: 'A', url: 'http://127.0.0.1:1/mcp', requiresOAuth: false },
    ]);
  });

  it('seeds nothing when the file does not exist', () => {
    expect(readSeedFile(join(dir, 'missing.json'))).toBeUndefined();
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['not an array', '{}', /must hold a JSON array/],
    ['a bad URL', JSON.stringify([{ id: 'x', name: 'X', url: 'ftp://x/mcp' }]), /entry 0 \(x\): url must be/],
    ['an unknown field', JSON.stringify([{ id: 'x', name: 'X', url: 'http://x/', extra: 1 }]), /extra/],
    [
      'a duplicate id',
      JSON.stringify([
        { id: 'x', name: 'X', url: 'http://x/' },
        { id: 'x', name: 'Y', url: 'http://y/' },
      ]),
      /"x" appears twice/,
    ],
  ])('refuses %s, naming the file', (_case, content, message) => {
    const path = file('bad.json', content);
    expect(() => readSeedFile(path)).toThrow(SeedFileError);
    expect(() => readSeedFile(path)).toThrow(message);
  });
});
