import CSQLite

/// The store's errors: one closed enum.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// SQLite said no: the operation, SQLite's result code and message.
    case sqlite(String, Int32, String)
    /// A unique constraint refused a row (e.g. a room that already exists).
    case conflict(String)
    /// The writer's queue is full: the caller should answer "overloaded, retry".
    case queueFull
    /// The writer has stopped.
    case stopped
    /// A stored value could not be read back (corrupt or from a newer schema).
    case corrupt(String)

    public var description: String {
        switch self {
        case .sqlite(let op, let code, let message): return "\(op): \(message) (SQLite \(code))"
        case .conflict(let what): return "conflict: \(what)"
        case .queueFull: return "store writer queue is full"
        case .stopped: return "store writer stopped"
        case .corrupt(let what): return "corrupt store data: \(what)"
        }
    }
}

/// One SQLite connection. Not thread-safe: each thread (the writer, a reader) owns its own.
public final class SQLiteDatabase {
    let handle: OpaquePointer
    private var statements: [String: Statement] = [:]

    /// Opens (creating if needed) the database at `path`, in WAL mode with full fsync on
    /// commit: a transaction that returned from COMMIT survives a crash.
    public init(path: String, readOnly: Bool = false) throws(StoreError) {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw .sqlite("open \(path)", code, message)
        }
        handle = db
        sqlite3_busy_timeout(db, 5_000)
        if !readOnly {
            try execute("PRAGMA journal_mode=WAL")
            try execute("PRAGMA synchronous=FULL")
        }
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs SQL without results (one or several statements).
    public func execute(_ sql: String) throws(StoreError) {
        var error: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &error)
        if code != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? ""
            sqlite3_free(error)
            throw .sqlite(String(sql.prefix(60)), code, message)
        }
    }

    /// A prepared statement, cached by its SQL text.
    public func statement(_ sql: String) throws(StoreError) -> Statement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var raw: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard code == SQLITE_OK, let raw else { throw error("prepare", code) }
        let statement = Statement(raw, database: self)
        statements[sql] = statement
        return statement
    }

    /// Runs `body` in one transaction (BEGIN IMMEDIATE … COMMIT), rolling back if it throws.
    public func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    func error(_ operation: String, _ code: Int32) -> StoreError {
        let message = String(cString: sqlite3_errmsg(handle))
        if code & 0xFF == SQLITE_CONSTRAINT { return .conflict(message) }
        return .sqlite(operation, code, message)
    }

    /// False once SQLite has left the transaction on its own (it rolls back the whole
    /// transaction on some errors: disk full, I/O error, out of memory).
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }
}

/// A prepared statement: bind by position (1-based), step, read columns (0-based).
public final class Statement {
    let raw: OpaquePointer
    unowned let database: SQLiteDatabase

    init(_ raw: OpaquePointer, database: SQLiteDatabase) {
        self.raw = raw
        self.database = database
    }

    deinit { sqlite3_finalize(raw) }

    /// Ends the statement's use: releases its read snapshot (a statement left mid-result
    /// keeps the connection's view of the database frozen) and its bindings.
    public func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    @discardableResult
    public func bind(_ values: StoreValue...) throws(StoreError) -> Statement {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(raw, index)
            case .int(let v): code = sqlite3_bind_int64(raw, index, v)
            case .text(let s): code = csqlite_bind_text(raw, index, s, Int32(s.utf8.count))
            case .blob(let b): code = b.withUnsafeBytes { csqlite_bind_blob(raw, index, $0.baseAddress, Int32($0.count)) }
            }
            guard code == SQLITE_OK else { throw database.error("bind", code) }
        }
        return self
    }

    /// Steps once: true when a row is available.
    public func step() throws(StoreError) -> Bool {
        let code = sqlite3_step(raw)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE:
            sqlite3_reset(raw)
            return false
        default:
            let error = database.error("step", code)
            sqlite3_reset(raw)
            throw error
        }
    }

    /// Runs a statement that returns no rows.
    public func run() throws(StoreError) {
        while try step() {}
    }

    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(raw, column) }

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(raw, column) == SQLITE_NULL }

    public func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(raw, column) else { return nil }
        let count = Int(sqlite3_column_bytes(raw, column))
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    public func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(raw, column))
        guard count > 0, let pointer = sqlite3_column_blob(raw, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

/// A value bound to a statement.
public enum StoreValue {
    case null
    case int(Int64)
    case text(String)
    case blob([UInt8])

    public static func optional(_ text: String?) -> StoreValue { text.map { .text($0) } ?? .null }
}
