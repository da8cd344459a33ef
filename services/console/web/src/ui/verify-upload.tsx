import type { BrowserReceiptChecker } from '../model/receipt-check.js';
import type { OpenReceipt } from './receipt-view.js';

/** Any receipt file verified here: read locally, checked against the pinned keys, nothing sent. */
export function VerifyUpload(props: {
  readonly checker: BrowserReceiptChecker;
  readonly onOpen: (open: OpenReceipt) => void;
}) {
  const open = async (file: File) => {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    props.onOpen({ name: file.name, text, check: props.checker.check(bytes) });
  };
  return (
    <section
      class="drop-zone"
      aria-label="Receipt file drop zone"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        const file = e.dataTransfer?.files[0];
        if (file !== undefined) void open(file);
      }}
    >
      <label for="receipt-file">Verify a receipt file (drop it here or choose it; it is not uploaded)</label>
      <input
        id="receipt-file"
        type="file"
        accept=".json,application/json"
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          if (file !== undefined) void open(file);
        }}
      />
    </section>
  );
}
