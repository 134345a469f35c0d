import type { Args } from '../../../preload/contract';

/** A token's share of the GPU and its budgets, as the form holds them (text, as typed). */
export interface ShareValues {
  priority: 'interactive' | 'batch';
  weight: string;
  daily: string;
  monthly: string;
}

export const DEFAULT_SHARE: ShareValues = { priority: 'interactive', weight: '', daily: '', monthly: '' };

const numberOf = (text: string) => (text.trim() === '' ? undefined : Number(text));

/** The createToken fields for what was filled in; empty fields keep the defaults (weight 1, no budget). */
export function shareArgs(v: ShareValues): Pick<Args<'createToken'>, 'priority' | 'weight' | 'dailyTokens' | 'monthlyTokens'> {
  const weight = numberOf(v.weight);
  const daily = numberOf(v.daily);
  const monthly = numberOf(v.monthly);
  return { priority: v.priority, ...(weight !== undefined ? { weight } : {}), ...(daily !== undefined ? { dailyTokens: daily } : {}), ...(monthly !== undefined ? { monthlyTokens: monthly } : {}) };
}

/** Sharing the GPU (priority, weight) and token budgets, folded away: most tokens keep the defaults. */
export function ShareFields({ value, onChange }: { value: ShareValues; onChange: (next: ShareValues) => void }) {
  const set = (patch: Partial<ShareValues>) => onChange({ ...value, ...patch });
  return (
    <details>
      <summary>GPU share and budgets</summary>
      <div className="row">
        <label>
          Priority
          <select value={value.priority} onChange={(e) => set({ priority: e.target.value as ShareValues['priority'] })}>
            <option value="interactive">Interactive (people waiting)</option>
            <option value="batch">Batch (scripts; waits for people)</option>
          </select>
        </label>
        <label>
          Share of the GPU
          <input type="number" min={0.1} max={100} step={0.1} value={value.weight} onChange={(e) => set({ weight: e.target.value })} placeholder="1" />
        </label>
        <label>
          Tokens per day
          <input type="number" min={1} value={value.daily} onChange={(e) => set({ daily: e.target.value })} placeholder="no budget" />
        </label>
        <label>
          Tokens per month
          <input type="number" min={1} value={value.monthly} onChange={(e) => set({ monthly: e.target.value })} placeholder="no budget" />
        </label>
      </div>
    </details>
  );
}
