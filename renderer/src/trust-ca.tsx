/** Downloading Gatehouse's CA, with the fingerprint to compare first, and trusting it per OS. */
export function TrustCa({ fingerprint, after }: { fingerprint: string; after: string }) {
  return (
    <>
      <p>
        Gatehouse uses its own certificate authority. Download it, and check with the person who sent you this link that its SHA-256 fingerprint is:
      </p>
      <p>
        <code className="fingerprint" data-testid="ca-fingerprint">{fingerprint}</code>
      </p>
      <p>
        <a href="/invite/ca.crt" download="gatehouse-ca.crt">
          Download gatehouse-ca.crt
        </a>{' '}
        ({after}).
      </p>
      <details>
        <summary>Trust it on this computer, so browsers stop warning</summary>
        <ul className="small">
          <li>
            <strong>macOS:</strong> open the downloaded file, add it to the <em>System</em> keychain, then in Keychain Access open it and set <em>Trust → Always Trust</em>.
          </li>
          <li>
            <strong>Windows:</strong> open the file, <em>Install Certificate…</em>, <em>Local Machine</em>, and place it in <em>Trusted Root Certification Authorities</em>.
          </li>
          <li>
            <strong>Linux (Debian, Ubuntu):</strong> <code>sudo cp gatehouse-ca.crt /usr/local/share/ca-certificates/ &amp;&amp; sudo update-ca-certificates</code>; Firefox and Chrome keep their own list (Settings → Certificates → Import).
          </li>
        </ul>
        <p className="small">Only trust it after the fingerprint matches the one in the message you were sent.</p>
      </details>
    </>
  );
}
