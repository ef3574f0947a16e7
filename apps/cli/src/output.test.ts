import { describe, expect, it } from 'vitest';
import { createOutput, stripAnsi } from './output.js';

function capture() {
  let stdout = '';
  let stderr = '';
  return {
    streams: {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
    },
    out: () => stdout,
    err: () => stderr,
  };
}

const COLOURED = '\u001b[1;31mred\u001b[0m and \u001b]0;a title\u0007plain';

describe('output', () => {
  it('stripAnsi removes colour (CSI) and title (OSC) sequences, nothing else', () => {
    expect(stripAnsi(COLOURED)).toBe('red and plain');
    expect(stripAnsi('no escapes [1m here')).toBe('no escapes [1m here');
  });

  it('log text: stripped unless colour is on; always stripped in JSON', () => {
    const plain = capture();
    createOutput(plain.streams, { json: false, verbose: false }).log('builder', COLOURED);
    expect(plain.err()).toBe('[builder] red and plain\n');
    const coloured = capture();
    createOutput(coloured.streams, { json: false, verbose: false, color: true }).log('b', COLOURED);
    expect(coloured.err()).toBe(`[b] ${COLOURED}\n`);
    const json = capture();
    createOutput(json.streams, { json: true, verbose: false, color: true }).log('b', COLOURED);
    expect(JSON.parse(json.out())).toEqual({ type: 'log', source: 'b', text: 'red and plain' });
  });

  it('quiet: no progress and no logs; warnings and the result still shown', () => {
    for (const json of [false, true]) {
      const c = capture();
      const output = createOutput(c.streams, { json, verbose: false, quiet: true });
      output.event({ type: 'phase.start', message: '===> BUILD' });
      output.log('builder', 'a log line');
      output.warn('careful');
      output.result({ type: 'result', image: 'app' }, 'Successfully built image app');
      const all = c.out() + c.err();
      expect(all).not.toContain('BUILD');
      expect(all).not.toContain('a log line');
      expect(all).toContain('careful');
      expect(all).toContain(json ? '"image":"app"' : 'Successfully built image app');
    }
  });
});
