extension SQLiteDatabase {
    /// Applies one write inside the caller's transaction.
    public func apply(_ write: StoreWrite) throws(StoreError) {
        switch write {
        case .createRoom(let room):
            try statement("INSERT INTO rooms (id, kind, name, epoch, last_id, seq, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .bind(.text(room.id), .text(room.kind), .optional(room.name), .text(room.epoch),
                      .optional(room.lastID), .int(room.seq), .int(room.createdAt)).run()
        case .updateRoomName(let room, let name):
            try statement("UPDATE rooms SET name = ? WHERE id = ?").bind(.optional(name), .text(room)).run()
        case .deleteRoom(let room):
            try statement("DELETE FROM rooms WHERE id = ?").bind(.text(room)).run()
        case .putMember(let member, let at):
            try statement("""
                INSERT INTO members (room_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (room_id, user_id) DO UPDATE SET role = excluded.role
                """).bind(.text(member.room), .text(member.user), .text(member.role), .int(at)).run()
        case .removeMember(let room, let user):
            try statement("DELETE FROM members WHERE room_id = ? AND user_id = ?").bind(.text(room), .text(user)).run()
        case .append(let event, let change):
            try append(event, change)
        case .setReadPosition(let user, let room, let eventID, let seq):
            try statement("""
                INSERT INTO read_positions (user_id, room_id, event_id, seq) VALUES (?, ?, ?, ?)
                ON CONFLICT (user_id, room_id) DO UPDATE SET event_id = excluded.event_id, seq = excluded.seq
                WHERE excluded.seq > read_positions.seq
                """).bind(.text(user), .text(room), .text(eventID), .int(seq)).run()
        case .block(let user, let blocked):
            try statement("INSERT OR IGNORE INTO blocks (user_id, blocked_id) VALUES (?, ?)").bind(.text(user), .text(blocked)).run()
        case .unblock(let user, let blocked):
            try statement("DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?").bind(.text(user), .text(blocked)).run()
        case .hide(let user, let room):
            try statement("INSERT OR IGNORE INTO hidden_rooms (user_id, room_id) VALUES (?, ?)").bind(.text(user), .text(room)).run()
        case .setAccess(let user, nil, nil):
            try statement("DELETE FROM user_access WHERE user_id = ?").bind(.text(user)).run()
        case .setAccess(let user, let bannedUntil, let revokedBefore):
            try statement("""
                INSERT INTO user_access (user_id, banned_until, revoked_before) VALUES (?, ?, ?)
                ON CONFLICT (user_id) DO UPDATE SET banned_until = excluded.banned_until, revoked_before = excluded.revoked_before
                """).bind(.text(user), bannedUntil.map { .int($0) } ?? .null, revokedBefore.map { .int($0) } ?? .null).run()
        case .unhide(let user, let room):
            try statement("DELETE FROM hidden_rooms WHERE user_id = ? AND room_id = ?").bind(.text(user), .text(room)).run()
        }
    }

    private func append(_ event: StoredEvent, _ change: MessageChange?) throws(StoreError) {
        try statement("INSERT INTO events (room_id, id, seq, at, kind, actor, target, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(.text(event.room), .text(event.id), .int(event.seq), .int(event.at), .text(event.kind),
                  .optional(event.actor), .optional(event.target), .blob(event.body)).run()
        // The tip only moves forward.
        try statement("UPDATE rooms SET last_id = ?, seq = ? WHERE id = ? AND seq < ?")
            .bind(.text(event.id), .int(event.seq), .text(event.room), .int(event.seq)).run()
        switch change {
        case .create(let author, let cmid, let text, let replyTo):
            try statement("""
                INSERT INTO messages (room_id, id, seq, author, cmid, text, reply_to, at, version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).bind(.text(event.room), .text(event.id), .int(event.seq), .text(author), .text(cmid),
                          .text(text), .optional(replyTo), .int(event.at), .int(event.seq)).run()
        case .edit(let target, let text):
            // Version guard: an older edit arriving late never overwrites a newer state.
            try statement("""
                UPDATE messages SET text = ?, edited_at = ?, version = ?
                WHERE room_id = ? AND id = ? AND version < ? AND deleted = 0
                """).bind(.text(text), .int(event.at), .int(event.seq), .text(event.room), .text(target), .int(event.seq)).run()
        case .delete(let target):
            try statement("""
                UPDATE messages SET text = NULL, deleted = 1, version = ?
                WHERE room_id = ? AND id = ? AND version < ?
                """).bind(.int(event.seq), .text(event.room), .text(target), .int(event.seq)).run()
        case nil:
            break
        }
    }
}
