import { describe, expect, it } from '@jest/globals';
import { makeNdjsonReader } from './ndjson';

describe('ndjson reader', () => {
  it('emits each complete line once as the text grows', () => {
    const got: unknown[] = [];
    const read = makeNdjsonReader((v) => got.push(v));
    read('{"phase":"receiving","done":1');
    expect(got).toEqual([]);
    read('{"phase":"receiving","done":1}\n{"phase":"pars');
    read('{"phase":"receiving","done":1}\n{"phase":"parsing"}\n\nnot json\n{"phase":"done"}\n');
    expect(got).toEqual([{ phase: 'receiving', done: 1 }, { phase: 'parsing' }, { phase: 'done' }]);
  });
});
