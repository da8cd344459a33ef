/** Pages fetched at most by allPages (of up to 1,000 items each). */
export const MAX_PAGES = 100;

/**
 * Every item of a paged listing: `fetch` is called with the empty token, then with each page's next
 * token, until one is empty or MAX_PAGES pages were read.
 */
export async function allPages<T>(
  fetch: (pageToken: string) => Promise<{ readonly items: readonly T[]; readonly next: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let pageToken = '';
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await fetch(pageToken);
    items.push(...response.items);
    pageToken = response.next;
    if (pageToken === '') break;
  }
  return items;
}
