import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('the tiles server configuration', () => {
  it('reads the listener and the directory', () => {
    expect(loadConfig({ MSI_TILES_DIR: '/var/lib/msi/tiles' })).toEqual({
      host: '127.0.0.1',
      port: 7390,
      dir: '/var/lib/msi/tiles',
      logLevel: 'info',
    });
    expect(loadConfig({ MSI_TILES_DIR: '/d', MSI_TILES_LISTEN: '[::1]:8080' })).toMatchObject({
      host: '::1',
      port: 8080,
    });
  });

  it('names every bad variable', () => {
    expect(() => loadConfig({ MSI_TILES_LISTEN: 'nowhere' })).toThrow(
      /MSI_TILES_LISTEN[\s\S]*|MSI_TILES_DIR/,
    );
    try {
      loadConfig({ MSI_TILES_LISTEN: 'host:99999' });
      expect.fail('accepted');
    } catch (error: unknown) {
      const { problems } = error as { problems: string[] };
      expect(problems.join('\n')).toContain('MSI_TILES_LISTEN');
      expect(problems.join('\n')).toContain('MSI_TILES_DIR');
    }
  });
});
