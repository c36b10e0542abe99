import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real-CLI conformance tests run with `npm run test:agents` (vitest.agents.config.ts).
    exclude: [...configDefaults.exclude, 'test/agents/**'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // clipanion 3.2.1's .mjs build imports a directory; it only loads when inlined.
    server: { deps: { inline: ['clipanion'] } },
  },
});
