import { defineConfig } from 'vitest/config';

/**
 * `npm run test:agents`: the conformance tests that drive the real agent CLIs through cao against
 * a fake model server (test/agents/README.md). One file at a time: each starts CLIs in tmux.
 */
export default defineConfig({
  test: {
    include: ['test/agents/**/*.test.ts'],
    globalSetup: ['test/agents/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // clipanion 3.2.1's .mjs build imports a directory; it only loads when inlined.
    server: { deps: { inline: ['clipanion'] } },
  },
});
