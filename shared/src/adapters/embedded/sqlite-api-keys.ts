import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import type { ApiKeyListQuery, ApiKeyRecord, ApiKeyScope, ApiKeyStore } from '../../ports/api-keys.ts';

interface Row {
  key_id: string;
  tenant: string;
  name: string | null;
  scopes: string;
  hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** API keys in SQLite, one row per key (its hash, never the key). Revocation is a conditional UPDATE. */
export class SqliteApiKeyStore implements ApiKeyStore {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      key_id       TEXT PRIMARY KEY,
      tenant       TEXT NOT NULL,
      name         TEXT,
      scopes       TEXT NOT NULL,
      hash         TEXT NOT NULL,
      created_at   TEXT NOT NULL,
      last_used_at TEXT,
      revoked_at   TEXT
    ) WITHOUT ROWID`);
    db.exec('CREATE INDEX IF NOT EXISTS api_keys_by_tenant ON api_keys (tenant, created_at)');
  }

  async create(record: ApiKeyRecord): Promise<void> {
    const inserted = this.db
      .prepare(
        `INSERT INTO api_keys (key_id, tenant, name, scopes, hash, created_at, last_used_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING`,
      )
      .run(
        record.keyId,
        record.tenant,
        record.name,
        JSON.stringify(record.scopes),
        record.hash,
        record.createdAt,
        record.lastUsedAt,
        record.revokedAt,
      );
    if (Number(inserted.changes) === 0) throw new ConflictError(`API key ${record.keyId} already exists`);
  }

  async get(keyId: string): Promise<ApiKeyRecord | null> {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE key_id = ?').get(keyId) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async list(query: ApiKeyListQuery): Promise<ApiKeyRecord[]> {
    const params: SQLInputValue[] = [];
    let where = '';
    if (query.tenant !== undefined) {
      where = 'WHERE tenant = ?';
      params.push(query.tenant);
    }
    const rows = this.db.prepare(`SELECT * FROM api_keys ${where} ORDER BY created_at ASC, key_id ASC`).all(...params) as unknown as Row[];
    return rows.map(fromRow);
  }

  async revoke(keyId: string, now: Date): Promise<ApiKeyRecord> {
    this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL').run(now.toISOString(), keyId);
    const record = await this.get(keyId);
    if (!record) throw new NotFoundError(`API key ${keyId} not found`);
    return record;
  }

  async recordUse(keyId: string, at: Date): Promise<void> {
    this.db
      .prepare(
        'UPDATE api_keys SET last_used_at = ? WHERE key_id = ? AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < ?)',
      )
      .run(at.toISOString(), keyId, at.toISOString());
  }
}

function fromRow(row: Row): ApiKeyRecord {
  return {
    keyId: row.key_id,
    tenant: row.tenant,
    name: row.name,
    scopes: JSON.parse(row.scopes) as ApiKeyScope[],
    hash: row.hash,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
