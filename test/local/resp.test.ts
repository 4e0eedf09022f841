import { describe, expect, it } from 'vitest';
import { array, bulk, encode, error, fields, integer, nil, nilArray, push, simple } from '../../local/resp.ts';

describe('RESP replies', () => {
  it('writes a map as RESP3 % or a flat RESP2 array, in order', () => {
    const reply = fields([
      ['name', 'mymaster'],
      ['port', '6379'],
    ]);
    expect(encode(reply, 3)).toBe('%2\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$4\r\nport\r\n$4\r\n6379\r\n');
    expect(encode(reply, 2)).toBe('*4\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$4\r\nport\r\n$4\r\n6379\r\n');
  });

  it('writes the null Redis writes at that place: $-1 or *-1 in RESP2, _ in RESP3', () => {
    expect(encode(nil, 2)).toBe('$-1\r\n');
    expect(encode(nilArray, 2)).toBe('*-1\r\n');
    expect(encode(nil, 3)).toBe('_\r\n');
    expect(encode(nilArray, 3)).toBe('_\r\n');
  });

  it('writes a pub/sub message as a RESP3 push, a plain array in RESP2', () => {
    const message = push([bulk('message'), bulk('+sdown'), bulk('master mymaster 127.0.0.1 6379')]);
    expect(encode(message, 3).startsWith('>3\r\n$7\r\nmessage\r\n')).toBe(true);
    expect(encode(message, 2).startsWith('*3\r\n$7\r\nmessage\r\n')).toBe(true);
  });

  it('counts bulk lengths in bytes and keeps simple strings and errors on one line', () => {
    expect(encode(bulk('é'), 2)).toBe('$2\r\né\r\n');
    expect(encode(simple('OK\r\nmore'), 2)).toBe('+OK more\r\n');
    expect(encode(error('ERR one\ntwo'), 3)).toBe('-ERR one two\r\n');
    expect(encode(array([integer(1), array([])]), 2)).toBe('*2\r\n:1\r\n*0\r\n');
  });
});
