import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `ar_live_<keyId>_<secret>`: the id (16 hex digits) is public and names the
 * stored record, so a request's key is found with one read, never by scanning; the secret is 24
 * random bytes (192 bits, base64url). Keys are stored only as a SHA-256 of the whole key. A fast,
 * unsalted hash is adequate here because the input has at least 128 bits of randomness: nobody can
 * guess or dictionary-attack it, so a slow password hash (bcrypt, scrypt) would only slow requests.
 */
const KEY_PATTERN = /^ar_live_([0-9a-f]{16})_([A-Za-z0-9_-]{32})$/;

export interface MintedApiKey {
  keyId: string;
  /** The key to hand out once; it is never stored. */
  key: string;
  hash: string;
}

/** A new key from the system's CSPRNG (randomness is the point here, so it is not injected). */
export function mintApiKey(): MintedApiKey {
  const keyId = randomBytes(8).toString('hex');
  const key = `ar_live_${keyId}_${randomBytes(24).toString('base64url')}`;
  return { keyId, key, hash: hashApiKey(key) };
}

/** The key's id when it has the shape of one of ours, else null (then it cannot be valid). */
export function keyIdOf(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Whether `key` hashes to `storedHash`, compared in constant time. */
export function keyMatchesHash(key: string, storedHash: string): boolean {
  const actual = Buffer.from(hashApiKey(key), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
