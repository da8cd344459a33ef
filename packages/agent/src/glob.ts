/** Whether a relative path (with `/` separators) is selected by a set of globs. */
export type GlobMatcher = (relativePath: string) => boolean;

/**
 * Compiles globs over relative paths: `**` any run of path segments (also none), `*` any characters
 * but `/`, `?` one character but `/`; everything else is literal. A pattern without `/` matches the
 * base name at any depth (`*.conf` is `**\/*.conf`). The patterns come from the operator's config.
 */
export function compileGlob(patterns: readonly string[]): GlobMatcher {
  const expressions = patterns.map(
    (p) => new RegExp(`^${globSource(p.includes('/') ? p : `**/${p}`)}$`, 'u'),
  );
  return (path) => expressions.some((e) => e.test(path));
}

function globSource(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}
