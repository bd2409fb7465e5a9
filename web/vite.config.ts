// The dashboard is served by hone under /ui/: relative asset paths and hash routing make one
// index.html answer every deep link. `npm run dev` proxies the APIs to HONE_URL (a running
// `hone server`).
import { defineConfig } from 'vite';

const target = process.env.HONE_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: false, chunkSizeWarningLimit: 300 },
  server: {
    host: '127.0.0.1',
    proxy: { '/api': { target, changeOrigin: false } },
  },
});
