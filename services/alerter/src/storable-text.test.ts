import { describe, expect, it } from 'vitest';
import { storableRecord, storableText } from './storable-text.js';

describe('storableText', () => {
  it('shows U+0000 as U+FFFD and leaves everything else as it is', () => {
    expect(storableText('back\u0000up\u0000')).toBe('back\uFFFDup\uFFFD');
    expect(storableText('ß→東京 \uFFFD')).toBe('ß→東京 \uFFFD');
    expect(storableRecord({ 'a\u0000': 'b\u0000', c: 'd' })).toEqual({ 'a\uFFFD': 'b\uFFFD', c: 'd' });
  });
});
