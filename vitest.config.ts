import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // clipanion 3.2.1's .mjs build imports a directory; it only loads when inlined.
    server: { deps: { inline: ['clipanion'] } },
  },
});
