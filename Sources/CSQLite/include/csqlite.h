#ifndef RALLY_CSQLITE_H
#define RALLY_CSQLITE_H

#include <sqlite3.h>

/// sqlite3_bind_text/blob with SQLITE_TRANSIENT (a macro casting -1 to a function pointer,
/// which Swift cannot express): SQLite copies the bytes before returning.
int csqlite_bind_text(sqlite3_stmt *statement, int index, const char *text, int length);
int csqlite_bind_blob(sqlite3_stmt *statement, int index, const void *bytes, int length);

#endif
