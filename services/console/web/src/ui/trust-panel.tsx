import type { PinnedTrust } from '../model/pinned-trust.js';

/** The keys the auditor pins: pasted or read from a file. Every verdict in the page is against them. */
export function TrustPanel(props: {
  readonly text: string;
  readonly quorum: number;
  readonly pinned: PinnedTrust;
  readonly onText: (text: string) => void;
  readonly onQuorum: (quorum: number) => void;
}) {
  const { pinned } = props;
  const readFile = async (event: Event) => {
    const file = (event.currentTarget as HTMLInputElement).files?.[0];
    if (file !== undefined) props.onText(await file.text());
  };
  return (
    <section class="trust" aria-labelledby="trust-title">
      <h2 id="trust-title">Pinned keys</h2>
      <div class="trust-grid">
        <div>
          <label for="trust-keys">Verifier keys you trust (calendar and witnesses), one per line</label>
          <textarea
            id="trust-keys"
            rows={3}
            spellcheck={false}
            value={props.text}
            onInput={(e) => props.onText(e.currentTarget.value)}
          />
        </div>
        <div class="trust-side">
          <label for="trust-file">…or read them from a file</label>
          <input id="trust-file" type="file" accept=".txt,.pub,text/plain" onChange={readFile} />
          <label for="trust-quorum">Witness quorum</label>
          <input
            id="trust-quorum"
            type="number"
            min={0}
            max={64}
            value={props.quorum}
            onInput={(e) => props.onQuorum(Math.max(0, Math.min(64, Number(e.currentTarget.value) || 0)))}
          />
        </div>
      </div>
      <p class="note" aria-live="polite">
        {pinned.logKeys.length} calendar key{pinned.logKeys.length === 1 ? '' : 's'},{' '}
        {pinned.witnessKeys.length} witness key{pinned.witnessKeys.length === 1 ? '' : 's'} pinned.
        {pinned.logKeys.length === 0 &&
          ' Without a calendar key every receipt is shown invalid (UNTRUSTED_KEY).'}
      </p>
      {pinned.problems.map((problem) => (
        <p key={problem} class="error">
          {problem}
        </p>
      ))}
    </section>
  );
}
