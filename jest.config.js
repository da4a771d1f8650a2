// Unit and contract suites need nothing running; integration suites (`*.int.spec.ts`)
// get a real Kafka broker and a real PostgreSQL server from the global setup.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
const moduleNameMapper = {
  '^@sluice/(events|eventlog|persistence|platform|testing|catalogue|demo-market|providers|routing|pricing|blobstore|batch-formats|telemetry|tokenizer)$': '<rootDir>/libs/$1/src/index.ts',
};
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': swc },
  // Prisma's schema engine glue is ESM-only; jest cannot require ESM, so swc compiles it.
  transformIgnorePatterns: ['/node_modules/(?!@prisma/schema-engine-wasm/)'],
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/.sluice/'],
};
module.exports = {
  // Creating a PGlite and migrating it takes 4-5 s on a shared CI machine: jest's 5 s default is
  // a coin toss there. A global option: jest 29 ignores it inside a project's config.
  testTimeout: 30_000,
  projects: [
    { ...common, displayName: 'unit', testRegex: '(apps|libs|deploy)/.*(?<!\\.int)\\.spec\\.ts$' },
    {
      ...common,
      displayName: 'integration',
      testRegex: '(apps|libs)/.*\\.int\\.spec\\.ts$',
      globalSetup: '<rootDir>/libs/testing/src/jest/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/jest/global-teardown.ts',
    },
  ],
};
