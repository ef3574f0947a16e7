import { describe, expect, it } from 'vitest';
import { parseHost } from './parse-host.js';
import { sshArgv } from './ssh-connector.js';

function sshTarget(host: string) {
  const target = parseHost(host);
  if (target.transport !== 'ssh') throw new Error('ssh expected');
  return target;
}

describe('sshArgv', () => {
  it('runs docker system dial-stdio as the docker CLI does, extra args first', () => {
    expect(sshArgv(sshTarget('ssh://me@box:2222'), { args: ['-i', 'key'] })).toEqual([
      '-i',
      'key',
      '-T',
      '-l',
      'me',
      '-p',
      '2222',
      '--',
      'box',
      'docker',
      'system',
      'dial-stdio',
    ]);
  });

  it('leaves user and port to ssh when not given, and unbrackets IPv6', () => {
    expect(sshArgv(sshTarget('ssh://[::1]'), {})).toEqual([
      '-T',
      '--',
      '::1',
      'docker',
      'system',
      'dial-stdio',
    ]);
  });

  it('refuses a host name that ssh would read as an option', () => {
    expect(() => sshTarget('ssh://-oProxyCommand=x')).toThrow(/must not start with "-"/);
  });
});
