// Unit tests of the labextension's pure parts (tests in test/, DOM from jsdom).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.ts']
  }
});
