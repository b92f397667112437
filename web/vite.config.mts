import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is served by the API process from dist/web (same origin); `npm run web:dev` proxies the API.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // CSP 'self': no inline scripts or styles, not even the module-preload polyfill.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  server: {
    proxy: { '/v1': 'http://localhost:3000', '/docs': 'http://localhost:3000', '/health': 'http://localhost:3000' },
  },
});
