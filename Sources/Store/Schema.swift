/// The store's tables. The embedded server writes them; the archiver (PostgreSQL or SQLite)
/// uses the same shapes, so history reads one model whichever wrote it.
///
/// - `events` is every room's log: one row per event, keyed `(room_id, id)` (ids are unique
///   only within a room), with the dense per-room `seq` used for ordering and paging, and the
///   event's JSON exactly as it was pushed (`body`), so replay sends the same bytes.
/// - `messages` is the current state of each message (latest text, edited, deleted), kept so
///   history shows a message as it is now. `version` is the `seq` of the last event applied:
///   events apply only forward, so a replayed batch never rolls an edit back.
/// - `(room_id, author, cmid)` is unique: the client message id makes `send` idempotent.
enum Schema {
    static let version: Int64 = 1

    static let v1 = """
    CREATE TABLE IF NOT EXISTS rooms (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('group', 'announcement', 'direct')),
        name TEXT,
        epoch TEXT NOT NULL,
        last_id TEXT,
        seq INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS members (
        room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('follower', 'member', 'moderator', 'owner')),
        joined_at INTEGER NOT NULL,
        PRIMARY KEY (room_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS members_by_user ON members (user_id, room_id);
    CREATE TABLE IF NOT EXISTS events (
        room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT,
        target TEXT,
        body BLOB NOT NULL,
        PRIMARY KEY (room_id, id)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX IF NOT EXISTS events_by_seq ON events (room_id, seq);
    CREATE TABLE IF NOT EXISTS messages (
        room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        author TEXT NOT NULL,
        cmid TEXT NOT NULL,
        text TEXT,
        reply_to TEXT,
        at INTEGER NOT NULL,
        edited_at INTEGER,
        deleted INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL,
        PRIMARY KEY (room_id, id)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX IF NOT EXISTS messages_by_cmid ON messages (room_id, author, cmid);
    CREATE TABLE IF NOT EXISTS read_positions (
        user_id TEXT NOT NULL,
        room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
        event_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (user_id, room_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS blocks (
        user_id TEXT NOT NULL,
        blocked_id TEXT NOT NULL,
        PRIMARY KEY (user_id, blocked_id)
    ) WITHOUT ROWID;
    """

    /// Creates or upgrades the schema; refuses a database from a newer version.
    static func migrate(_ db: SQLiteDatabase) throws(StoreError) {
        let statement = try db.statement("PRAGMA user_version")
        let current = try statement.step() ? statement.int(0) : 0
        statement.reset()
        guard current <= version else {
            throw .corrupt("database schema version \(current) is newer than this server's (\(version))")
        }
        if current < 1 {
            try db.transaction { () throws(StoreError) in
                try db.execute(v1)
                try db.execute("PRAGMA user_version = 1")
            }
        }
    }
}
