// Bundles the playground page (src/) into dist/playground: `npm run build` runs it after the API.
import { fileURLToPath } from 'node:url';
import { rspack } from '@rspack/core';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** @type {import('@rspack/core').Configuration} */
const config = {
  mode: 'production',
  context: root,
  target: ['web', 'es2022'],
  entry: { playground: './apps/playground/src/main.ts' },
  output: {
    path: `${root}dist/playground`,
    // The API serves index.html at / and the rest under /playground/assets/.
    publicPath: '/playground/',
    filename: 'assets/[name].[contenthash:8].js',
    cssFilename: 'assets/[name].[contenthash:8].css',
    clean: true,
  },
  resolve: { extensions: ['.ts', '.js'] },
  module: {
    rules: [
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        loader: 'builtin:swc-loader',
        options: { jsc: { parser: { syntax: 'typescript' } } },
        type: 'javascript/auto',
      },
      { test: /\.css$/, type: 'css/auto' },
    ],
  },
  plugins: [new rspack.HtmlRspackPlugin({ template: './apps/playground/src/index.html' })],
  devtool: 'source-map',
  performance: { hints: false },
};

rspack(config).run((err, stats) => {
  if (err || stats?.hasErrors()) {
    console.error(err ?? stats?.toString({ colors: false, all: false, errors: true }));
    process.exit(1);
  }
  const assets = stats.toJson({ all: false, assets: true }).assets ?? [];
  const sizes = assets
    .filter((a) => !a.name.endsWith('.map'))
    .map((a) => `${a.name} ${Math.round(a.size / 1024)} kB`);
  process.stdout.write(`playground: ${sizes.join(', ')}\n`);
});
