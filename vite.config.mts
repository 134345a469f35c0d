import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dashboard: served by the gateway at /admin/ and loaded by the Electron window from disk,
// so every asset path is relative.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../out/renderer',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
});
