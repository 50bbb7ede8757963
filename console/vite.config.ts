import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

/**
 * The console's build: served by the API process at /console/ (src/plugins/console.ts). `manifest` is the
 * build's own record of chunks and their imports, which scripts/console-budget.mjs reads to weigh the
 * member's first screen. `npm run dev:console` serves it with hot reload on :5173 and forwards /api to a
 * server on :3000 (`npm start`).
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    sourcemap: false,
    target: 'es2020',
    chunkSizeWarningLimit: 1024,
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
})
