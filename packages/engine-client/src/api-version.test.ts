import { describe, expect, it } from 'vitest';
import { compareApiVersions, negotiatedVersion, parseApiVersion } from './api-version.js';

describe('API versions', () => {
  it('compares numerically, parses pins, caps at the client maximum', () => {
    expect(compareApiVersions('1.9', '1.41')).toBeLessThan(0);
    expect(compareApiVersions('1.45', '1.45')).toBe(0);
    expect(parseApiVersion('v1.44')).toBe('1.44');
    expect(parseApiVersion('latest')).toBeUndefined();
    expect(negotiatedVersion('1.43')).toBe('1.43');
    expect(negotiatedVersion('2.0')).toBe('1.47');
  });
});
