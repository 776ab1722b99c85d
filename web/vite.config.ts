// Vite builds the web app (web/src) into web/dist, which the Ringback server serves at `/`.
// `npm run build:web` (scripts/build-web.ts) runs this; `npm install` and `npm start` do too.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    // `npx vite web` for UI work: the API comes from a running `npm start`.
    proxy: { '/api': 'http://localhost:3000' },
  },
});
