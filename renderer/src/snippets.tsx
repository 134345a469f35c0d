import { useState } from 'react';
import type { Snippet } from '../../preload/contract';
import { CopyButton } from './ui';

/** One tab per client, the chosen snippet below with a copy button (Share page and invite page). */
export function SnippetTabs({ snippets }: { snippets: Snippet[] }) {
  const [tab, setTab] = useState(0);
  const snippet = snippets[tab];
  return (
    <>
      <div className="tabs" role="tablist" aria-label="Client">
        {snippets.map((s, i) => (
          <button key={s.client} type="button" role="tab" aria-selected={i === tab} onClick={() => setTab(i)}>
            {s.client}
          </button>
        ))}
      </div>
      {snippet && (
        <div role="tabpanel" className="snippet">
          <pre>
            <code>{snippet.code}</code>
          </pre>
          <CopyButton text={snippet.code} label="Copy snippet" />
        </div>
      )}
    </>
  );
}
