const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);


/**
 * The web app's sign-in page, rendered on the server (no script runs on it): the teammate pastes
 * their Gatehouse token once, and a session cookie does the rest. `problem` says why they are here.
 */
export function signinPage(problem?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Sign in · Gatehouse</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 12vh auto; padding: 0 1rem; }
  input { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; margin: .25rem 0 1rem; }
  button { font: inherit; padding: .5rem 1.25rem; }
  .problem { border-left: 4px solid #c33; padding: .25rem .75rem; }
  .muted { opacity: .75; font-size: .9rem; }
</style>
</head>
<body>
<main>
<h1>Sign in to the shared web app</h1>
${problem ? `<p class="problem" role="alert">${escapeHtml(problem)}</p>` : ''}
<form method="post" action="/.gatehouse/signin">
<label>Your Gatehouse token<input name="token" type="password" autocomplete="current-password" placeholder="gth_…" required maxlength="200" autofocus></label>
<button type="submit">Sign in</button>
</form>
<p class="muted">This page belongs to Gatehouse on the computer that shares Ollama. Your token came from its owner (an invite, or the Share page); it needs the web app permission.</p>
</main>
</body>
</html>
`;
}
