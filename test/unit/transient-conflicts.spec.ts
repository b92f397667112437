import { describe, expect, it } from 'vitest';
import { isTransientConflict, retryTransientConflicts } from '../../src/kernel/transient-conflicts';

const failure = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

describe('retryTransientConflicts', () => {
  it('runs the work again after a deadlock or a serialization failure, and answers its result', async () => {
    const codes = ['40P01', '40001'];
    let runs = 0;
    const result = await retryTransientConflicts(async () => {
      runs += 1;
      const code = codes.shift();
      if (code) throw failure(code);
      return 'done';
    });
    expect(result).toBe('done');
    expect(runs).toBe(3);
  });

  it('gives up after the given number of runs, with the last error', async () => {
    let runs = 0;
    const run = retryTransientConflicts(async () => {
      runs += 1;
      throw failure('40P01');
    }, { attempts: 2 });
    await expect(run).rejects.toMatchObject({ code: '40P01' });
    expect(runs).toBe(2);
  });

  it('does not run again after any other error', async () => {
    let runs = 0;
    const run = retryTransientConflicts(async () => {
      runs += 1;
      throw failure('23505');
    });
    await expect(run).rejects.toMatchObject({ code: '23505' });
    expect(runs).toBe(1);
    expect(isTransientConflict(failure('23505'))).toBe(false);
    expect(isTransientConflict(null)).toBe(false);
  });

  it('runs again after a code the caller names (alsoOn), and only that one', async () => {
    const codes = ['23503'];
    let runs = 0;
    const result = await retryTransientConflicts(
      async () => {
        runs += 1;
        const code = codes.shift();
        if (code) throw failure(code);
        return runs;
      },
      { alsoOn: ['23503'] },
    );
    expect(result).toBe(2);
    await expect(retryTransientConflicts(async () => Promise.reject(failure('23505')), { alsoOn: ['23503'] })).rejects.toMatchObject({ code: '23505' });
  });
});
