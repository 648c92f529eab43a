import { describe, expect, it } from '@jest/globals';
import { formatBytes, formatTime } from './format';

describe('format', () => {
  it('formats times', () => {
    expect(formatTime(75.4)).toBe('1:15');
    expect(formatTime(3725)).toBe('1:02:05');
    expect(formatTime(NaN)).toBe('–:––');
  });
  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200 MiB');
  });
});
