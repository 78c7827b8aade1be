/// The store's tables. The embedded server writes them; the archiver (PostgreSQL or SQLite)
/// uses the same shapes, so history reads one model whichever wrote it.
///
/// - `events` is every room's log: one row per event, keyed `(room_id, id)` (ids are unique
///   only within a room), with the dense per-room `seq` used for ordering and paging, and the
///   event's JSON (`body`) **without its text**: a `message` or `edit` event is stored with
///   `"text":""`. The log is immutable; text is not part of it (schema 2).
/// - `messages` is the current state of each message (latest text, edited, deleted): the only
///   place a message's text lives. Replays and history join it, and an edit or delete
///   overwrites it in the transaction that records the event, so a superseded or deleted text
///   survives nowhere (with `secure_delete`, freed bytes are zeroed; see `SQLiteDatabase`).
///   `version` is the `seq` of the last event applied: events apply only forward, so a
///   replayed batch never rolls an edit back.
/// - `(room_id, author, cmid)` is unique: the client message id makes `send` idempotent.
enum Schema {
    static let version: Int64 = 3

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

    /// Schema 1 stored each event's push exactly as sent, text included: strip it (the text's
    /// current state is in `messages`). Run with `secure_delete` on, so the old bytes are
    /// zeroed; the caller vacuums afterwards to rewrite whatever an older server left in free
    /// pages.
    static let v2 = """
    UPDATE events SET body = CAST(json_set(CAST(body AS TEXT), '$.text', '') AS BLOB)
    WHERE kind IN ('message', 'edit') AND json_extract(CAST(body AS TEXT), '$.text') <> '';
    """

    /// Direct rooms a participant has hidden from their room list (until the next message),
    /// and what the platform restricted per user: a ban (`banned_until` in ms, the largest
    /// integer for "until lifted") and a time before which the user's tokens are refused.
    static let v3 = """
    CREATE TABLE IF NOT EXISTS hidden_rooms (
        user_id TEXT NOT NULL,
        room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, room_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS user_access (
        user_id TEXT PRIMARY KEY,
        banned_until INTEGER,
        revoked_before INTEGER
    ) WITHOUT ROWID;
    """

    /// Creates or upgrades the schema; refuses a database from a newer version. Returns true
    /// when an upgrade rewrote stored rows (the caller then vacuums the file).
    @discardableResult
    static func migrate(_ db: SQLiteDatabase) throws(StoreError) -> Bool {
        let statement = try db.statement("PRAGMA user_version")
        let current = try statement.step() ? statement.int(0) : 0
        statement.reset()
        guard current <= version else {
            throw .corrupt("database schema version \(current) is newer than this server's (\(version))")
        }
        if current < 1 {
            try db.transaction { () throws(StoreError) in
                try db.execute(v1)
                try db.execute(v3)
                try db.execute("PRAGMA user_version = \(version)")
            }
            return false
        }
        var rewrote = false
        if current < 2 {
            try db.transaction { () throws(StoreError) in
                try db.execute(v2)
                try db.execute("PRAGMA user_version = 2")
            }
            rewrote = true
        }
        if current < 3 {
            try db.transaction { () throws(StoreError) in
                try db.execute(v3)
                try db.execute("PRAGMA user_version = 3")
            }
        }
        return rewrote
    }
}
