import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

/*
 * `tsc` leaves the `@auxilia/<lib>` imports of the library sources it compiles as they are. These links
 * let Node resolve them in the compiled benchmark: `dist/bench/node_modules/@auxilia/<lib>` points at
 * `dist/bench/libs/<lib>/src`. Run once after each `tsc -p bench/tsconfig.json`.
 */
const root = join(__dirname, '..');
const libs = join(root, 'libs');
const scope = join(root, 'node_modules', '@auxilia');
mkdirSync(scope, { recursive: true });
for (const name of readdirSync(libs)) {
  const target = join(libs, name, 'src');
  if (!existsSync(target)) continue;
  const link = join(scope, name);
  rmSync(link, { force: true });
  symlinkSync(relative(scope, target), link, 'junction');
}
