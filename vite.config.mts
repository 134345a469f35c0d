import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const page = (name: string) => fileURLToPath(new URL(`renderer/${name}`, import.meta.url));

// Three pages: the dashboard (served at /admin/ and loaded by the Electron window), the invite
// page (served at /invite/<id>) and the Share link's landing page (served at /invite/share). Every asset path is relative.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../out/renderer',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: { input: { index: page('index.html'), invite: page('invite.html'), share: page('share.html') } },
  },
});
