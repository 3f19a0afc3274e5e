import type { Config } from 'jest';

// Tests run as ES modules: the NestJS 12 packages are ESM-only and jest cannot require() them on Node 20.
const transform: Config['transform'] = {
  '^.+\\.ts$': [
    'ts-jest',
    {
      useESM: true,
      tsconfig: {
        module: 'esnext',
        moduleResolution: 'bundler',
        target: 'ES2023',
        isolatedModules: true,
      },
    },
  ],
};

const moduleNameMapper: Config['moduleNameMapper'] = {
  '^@auxilia/([a-z-]+)$': '<rootDir>/libs/$1/src',
};

const shared: Config = {
  rootDir: __dirname,
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform,
  moduleNameMapper,
  globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/jest-global-teardown.ts',
};

const config: Config = {
  // A global option: jest ignores it inside projects.
  testTimeout: 60_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs}/*/src/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/apps/*/test/**/*.e2e-spec.ts'],
    },
  ],
};

export default config;
