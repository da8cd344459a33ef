/** A verdict reached in this page: valid, invalid with its code, unanchored, or a step not reached. */
export function StatusBadge(props: {
  readonly status: 'valid' | 'invalid' | 'unanchored' | 'not-reached' | 'unverified';
  readonly code?: string | undefined;
  readonly title?: string | undefined;
}) {
  const text =
    props.status === 'valid'
      ? '✓ valid'
      : props.status === 'invalid'
        ? `✗ invalid${props.code === undefined ? '' : ` ${props.code}`}`
        : props.status === 'unanchored'
          ? '… not anchored yet'
          : props.status === 'unverified'
            ? '· unverified'
            : '– not reached';
  return (
    <span class={`badge badge-${props.status}`} title={props.title}>
      {text}
    </span>
  );
}
