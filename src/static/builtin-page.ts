// The page served in place of index.html when no console build is configured.

import type { Config } from '../config/types.js';

export function builtinPage(config: Pick<Config, 'version'>): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>butler-server</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 42rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5; color: #1f2328; }
  code { background: #f0f2f4; padding: 0.1rem 0.3rem; border-radius: 4px; }
  h1 { font-size: 1.5rem; }
</style>
</head>
<body>
<h1>butler-server ${escapeHtml(config.version)}</h1>
<p>This is <strong>butler-server</strong>, the backend of the Butler Console: it serves the console's REST API under
<code>/api</code> and its live updates and terminals under <code>/ws</code>, for Kubernetes tenant clusters managed by Butler.</p>
<p>No console build is configured, so there is nothing else to show here. To serve the console, build it and start the
server with <code>--static-dir DIR</code> or the environment variable <code>BUTLER_STATIC_DIR=DIR</code>, where
<code>DIR</code> is the folder holding the console's <code>index.html</code> and <code>assets/</code>.</p>
<p>Health: <a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>.</p>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
