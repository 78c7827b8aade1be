extension SQLiteDatabase {
    /// Opens the store at `path`, creating or upgrading its schema. Freed bytes are zeroed
    /// (`secure_delete`): an edited or deleted text must not linger in a free page.
    public static func openStore(path: String) throws(StoreError) -> SQLiteDatabase {
        let db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA secure_delete = ON")
        if try Schema.migrate(db) {
            // An upgrade stripped texts from the log: rewrite the whole file, so that nothing a
            // server without secure_delete left in free pages survives, then empty the WAL.
            try db.execute("VACUUM")
            try db.checkpoint()
        }
        return db
    }

    /// Copies the WAL into the database file and truncates the WAL to zero bytes, so that
    /// page images holding overwritten text leave both files. Returns false when readers kept
    /// it from completing (try again later).
    @discardableResult
    public func checkpoint() throws(StoreError) -> Bool {
        let s = try statement("PRAGMA wal_checkpoint(TRUNCATE)")
        defer { s.reset() }
        // One row: busy (1 when it could not complete), WAL frames, frames checkpointed.
        guard try s.step() else { return false }
        return s.int(0) == 0
    }

    public func rooms() throws(StoreError) -> [RoomRecord] {
        let s = try statement("SELECT id, kind, name, epoch, last_id, seq, created_at FROM rooms ORDER BY id")
        var out: [RoomRecord] = []
        while try s.step() {
            out.append(RoomRecord(id: s.text(0) ?? "", kind: s.text(1) ?? "", name: s.text(2), epoch: s.text(3) ?? "",
                                  lastID: s.text(4), seq: s.int(5), createdAt: s.int(6)))
        }
        return out
    }

    public func members() throws(StoreError) -> [MemberRecord] {
        let s = try statement("SELECT room_id, user_id, role FROM members ORDER BY room_id, user_id")
        var out: [MemberRecord] = []
        while try s.step() { out.append(MemberRecord(room: s.text(0) ?? "", user: s.text(1) ?? "", role: s.text(2) ?? "")) }
        return out
    }

    public func blocks() throws(StoreError) -> [(user: String, blocked: String)] {
        let s = try statement("SELECT user_id, blocked_id FROM blocks")
        var out: [(String, String)] = []
        while try s.step() { out.append((s.text(0) ?? "", s.text(1) ?? "")) }
        return out
    }

    public func userAccess() throws(StoreError) -> [(user: String, bannedUntil: Int64?, revokedBefore: Int64?)] {
        let s = try statement("SELECT user_id, banned_until, revoked_before FROM user_access")
        var out: [(String, Int64?, Int64?)] = []
        while try s.step() {
            out.append((s.text(0) ?? "", s.isNull(1) ? nil : s.int(1), s.isNull(2) ? nil : s.int(2)))
        }
        return out
    }

    public func hiddenRooms() throws(StoreError) -> [(user: String, room: String)] {
        let s = try statement("SELECT user_id, room_id FROM hidden_rooms")
        var out: [(String, String)] = []
        while try s.step() { out.append((s.text(0) ?? "", s.text(1) ?? "")) }
        return out
    }

    /// Events of a room with `seq` in `range`, in order, at most `limit`.
    public func events(room: String, seqIn range: ClosedRange<Int64>, limit: Int, newestFirst: Bool = false) throws(StoreError) -> [StoredEvent] {
        let order = newestFirst ? "DESC" : "ASC"
        let s = try statement("""
            SELECT id, seq, at, kind, actor, target, body FROM events
            WHERE room_id = ? AND seq BETWEEN ? AND ? ORDER BY seq \(order) LIMIT ?
            """)
        try s.bind(.text(room), .int(range.lowerBound), .int(range.upperBound), .int(Int64(limit)))
        var out: [StoredEvent] = []
        while try s.step() {
            out.append(StoredEvent(room: room, id: s.text(0) ?? "", seq: s.int(1), at: s.int(2), kind: s.text(3) ?? "",
                                   actor: s.text(4), target: s.text(5), body: s.blob(6)))
        }
        return out
    }

    /// The `seq` of event `id` in `room`, if it exists.
    public func seq(room: String, eventID: String) throws(StoreError) -> Int64? {
        let s = try statement("SELECT seq FROM events WHERE room_id = ? AND id = ?")
        try s.bind(.text(room), .text(eventID))
        defer { s.reset() }
        return try s.step() ? s.int(0) : nil
    }

    /// The current state of messages `ids` in `room`.
    public func messages(room: String, seqIn range: ClosedRange<Int64>) throws(StoreError) -> [String: MessageRecord] {
        let s = try statement("""
            SELECT id, seq, author, cmid, text, reply_to, at, edited_at, deleted FROM messages
            WHERE room_id = ? AND seq BETWEEN ? AND ?
            """)
        try s.bind(.text(room), .int(range.lowerBound), .int(range.upperBound))
        var out: [String: MessageRecord] = [:]
        while try s.step() {
            let record = MessageRecord(room: room, id: s.text(0) ?? "", seq: s.int(1), author: s.text(2) ?? "",
                                       cmid: s.text(3) ?? "", text: s.text(4), replyTo: s.text(5), at: s.int(6),
                                       editedAt: s.isNull(7) ? nil : s.int(7), deleted: s.int(8) != 0)
            out[record.id] = record
        }
        return out
    }

    /// The message a client sent with `cmid` in `room`, if any (idempotent resend).
    public func message(room: String, author: String, cmid: String) throws(StoreError) -> MessageRecord? {
        let s = try statement("""
            SELECT id, seq, text, reply_to, at, edited_at, deleted FROM messages
            WHERE room_id = ? AND author = ? AND cmid = ?
            """)
        try s.bind(.text(room), .text(author), .text(cmid))
        defer { s.reset() }
        guard try s.step() else { return nil }
        return MessageRecord(room: room, id: s.text(0) ?? "", seq: s.int(1), author: author, cmid: cmid, text: s.text(2),
                             replyTo: s.text(3), at: s.int(4), editedAt: s.isNull(5) ? nil : s.int(5), deleted: s.int(6) != 0)
    }

    /// A user's read position in a room: the `seq` read up to (0 if none).
    public func readSeq(user: String, room: String) throws(StoreError) -> Int64 {
        let s = try statement("SELECT seq FROM read_positions WHERE user_id = ? AND room_id = ?")
        try s.bind(.text(user), .text(room))
        defer { s.reset() }
        return try s.step() ? s.int(0) : 0
    }
}

extension SQLiteDatabase {
    /// The current state of message `id` in `room`, if it exists.
    public func message(room: String, id: String) throws(StoreError) -> MessageRecord? {
        let s = try statement("""
            SELECT seq, author, cmid, text, reply_to, at, edited_at, deleted FROM messages
            WHERE room_id = ? AND id = ?
            """)
        try s.bind(.text(room), .text(id))
        defer { s.reset() }
        guard try s.step() else { return nil }
        return MessageRecord(room: room, id: id, seq: s.int(0), author: s.text(1) ?? "", cmid: s.text(2) ?? "",
                             text: s.text(3), replyTo: s.text(4), at: s.int(5),
                             editedAt: s.isNull(6) ? nil : s.int(6), deleted: s.int(7) != 0)
    }

    /// Message events in `room` after `seq`, counted up to `cap` (a user who never reads
    /// must not cost a scan of the whole log).
    public func messageCount(room: String, afterSeq seq: Int64, cap: Int64 = 1_000) throws(StoreError) -> Int64 {
        let s = try statement("SELECT count(*) FROM (SELECT 1 FROM events WHERE room_id = ? AND seq > ? AND kind = 'message' LIMIT ?)")
        try s.bind(.text(room), .int(seq), .int(cap))
        defer { s.reset() }
        return try s.step() ? s.int(0) : 0
    }

    /// Counts for the stats endpoint.
    public func counts() throws(StoreError) -> (rooms: Int64, members: Int64, events: Int64) {
        let s = try statement("SELECT (SELECT count(*) FROM rooms), (SELECT count(*) FROM members), (SELECT count(*) FROM events)")
        defer { s.reset() }
        guard try s.step() else { return (0, 0, 0) }
        return (s.int(0), s.int(1), s.int(2))
    }
}
