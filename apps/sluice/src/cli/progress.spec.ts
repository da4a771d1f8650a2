import { etaText, humanBytes } from './progress';

describe('progress bars', () => {
  it('give the ETA as what is left at the pace so far', () => {
    expect(etaText(100, 0)).toBe('…');
    expect(etaText(0, 0)).toBe('0s');
    expect(etaText(450, 10 / 1000)).toBe('45s');
    expect(etaText(2000, 10 / 1000)).toBe('3m20s');
    expect(etaText(75_000, 10 / 1000)).toBe('2h05m');
  });

  it('write sizes for people', () => {
    expect(humanBytes(512)).toBe('512 B');
    expect(humanBytes(221_773_414)).toBe('211.5 MB');
  });
});
