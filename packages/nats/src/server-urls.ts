/** The servers of an MSI_NATS_URL value, with the credentials its URLs carry taken out. */
export interface NatsServers {
  /** Each server URL without user information, in the order given. */
  readonly servers: string[];
  readonly user?: string;
  readonly pass?: string;
}

/**
 * Parses `nats://[user[:password]@]host:port[,nats://…]` (operator input): a comma-separated list of
 * servers (nats.js itself would take the whole string as one URL and dial only the last), with
 * optional credentials in the URLs — nats.js does not read them from there, so they are taken out
 * and passed as user / pass. Every URL that carries credentials must carry the same ones. Throws an
 * Error naming the entry that is wrong.
 */
export function parseNatsServers(text: string): NatsServers {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error('no NATS server URL given');
  let credentials: { user: string; pass: string } | undefined;
  const servers = entries.map((entry, index) => {
    const withScheme = entry.includes('://') ? entry : `nats://${entry}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new Error(`NATS server ${index + 1} is not a URL: ${redactNatsUrl(entry)}`);
    }
    if (url.username !== '' || url.password !== '') {
      const found = { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) };
      if (credentials !== undefined && (credentials.user !== found.user || credentials.pass !== found.pass)) {
        throw new Error(
          `NATS server ${index + 1} names other credentials than the first one: use the same user everywhere`,
        );
      }
      credentials = found;
      url.username = '';
      url.password = '';
    }
    return `${url.protocol}//${url.host}`;
  });
  return credentials === undefined
    ? { servers }
    : { servers, user: credentials.user, pass: credentials.pass };
}

/** The URL list with passwords masked, for logs. */
export function redactNatsUrl(text: string): string {
  return text.replace(/\/\/([^:@/,]*):[^@/,]*@/g, '//$1:***@');
}
