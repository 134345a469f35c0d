/** Shown in a browser without a session: how to get in, in plain words. */
export function SignIn({ error }: { error: string | undefined }) {
  return (
    <main className="sign-in">
      <h1>Gatehouse</h1>
      {error && (
        <div className="note error" role="alert">
          <strong>{error}</strong>
        </div>
      )}
      <p>To open the dashboard, use a sign-in link. Each link works once and for 15 minutes.</p>
      <ul>
        <li>
          <code>gatehouse serve</code> prints one when it starts.
        </li>
        <li>
          Or run <code>gatehouse admin link</code> on this computer and open the link it prints.
        </li>
      </ul>
    </main>
  );
}
