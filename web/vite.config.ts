import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run build` writes the site into dist/site, which the Go package in
// this directory (web.go) embeds into cmd/storefront. dist/README.md is
// committed, so a checkout without a build still compiles.
//
// `npm run dev` serves the sources with hot reload and sends /graphql
// (WebSockets too) and /auth to the storefront server (make run: :3000),
// which proxies to the router and holds the refresh-token cookie.
const storefront = process.env.STOREFRONT_URL ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist/site',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
  },
  server: {
    proxy: {
      '/graphql': { target: storefront, ws: true, changeOrigin: false },
      '/auth': { target: storefront, changeOrigin: false },
    },
  },
});
