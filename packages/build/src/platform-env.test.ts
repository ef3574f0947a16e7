import { describe, expect, it } from 'vitest';
import { BuildAppError } from './build-error.js';
import { envFileEntries, platformEnv } from './platform-env.js';

describe('platformEnv', () => {
  it('reads K=V, takes K alone from the environment (empty when unset, as pack), later sources winning', () => {
    const env = platformEnv(
      [
        { entries: envFileEntries('# comment\n\n A=file \r\nB=1=2\n'), where: 'build.env' },
        { entries: ['A=flag', 'HOME_DIR', 'UNSET'], where: '--env' },
      ],
      { HOME_DIR: '/home/x' },
    );
    expect(env).toEqual({ A: 'flag', B: '1=2', HOME_DIR: '/home/x', UNSET: '' });
  });

  it('refuses a name that is not an env name, naming where it came from', () => {
    const bad = () => platformEnv([{ entries: ['1BAD=x'], where: 'build.env' }]);
    expect(bad).toThrow(BuildAppError);
    expect(bad).toThrow('invalid env name "1BAD" in build.env');
    try {
      bad();
    } catch (err) {
      expect((err as BuildAppError).code).toBe('ERR_INVALID_ENV');
    }
  });
});
