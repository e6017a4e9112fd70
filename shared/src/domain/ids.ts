import { randomBytes } from 'node:crypto';

/** Injected so tests can make ids and time deterministic. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export type IdSource = (now: Date) => string;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID: 48-bit millisecond time + 80 random bits in Crockford base32. Ids sort by creation time,
 * which is what "newest first" listing and cursors rely on in both stores. Monotonic within a
 * process: ids made in the same millisecond increment the previous random part instead of drawing
 * a new one (the ULID spec's monotonic variant), so they sort in creation order too.
 */
export function createUlidSource(): IdSource {
  let lastTime = -1;
  let lastRandom: number[] = [];
  return (now) => {
    let time = now.getTime();
    let random: number[];
    if (time <= lastTime) {
      time = lastTime;
      random = increment(lastRandom);
    } else {
      const bytes = randomBytes(16);
      random = Array.from(bytes, (b) => b % 32);
    }
    lastTime = time;
    lastRandom = random;
    return encodeTime(time) + random.map((d) => CROCKFORD[d]).join('');
  };
}

/** A ULID's first 10 characters: the millisecond time, most significant digit first. */
function encodeTime(ms: number): string {
  let time = ms;
  let timePart = '';
  for (let i = 0; i < 10; i++) {
    timePart = CROCKFORD[time % 32] + timePart;
    time = Math.floor(time / 32);
  }
  return timePart;
}

/**
 * The id range of jobs created in [from, to): from the lowest ULID of `from`'s millisecond to the
 * highest of the millisecond before `to`, both inclusive (as DynamoDB's BETWEEN is).
 */
export function ulidRangeOf(from: Date, to: Date): { lowest: string; highest: string } {
  return { lowest: encodeTime(from.getTime()) + '0'.repeat(16), highest: encodeTime(to.getTime() - 1) + 'Z'.repeat(16) };
}

/** Adds one to a base-32 digit string (most significant first). */
function increment(digits: number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 31) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  throw new Error('ULID random part overflowed within one millisecond');
}

export const ulid: IdSource = createUlidSource();
