#ifndef RALLY_CHIREDIS_H
#define RALLY_CHIREDIS_H

// Only hiredis's pure RESP reader is used: Rally owns its Redis sockets on its own loops
// (hiredis 0.14's async layer cannot do sharded pub/sub and resolves names by blocking).
#include <hiredis/hiredis.h>
#include <hiredis/read.h>

/// The reader's error text after redisReaderGetReply returned REDIS_ERR ("" if none).
const char *chiredis_reader_error(redisReader *reader);

/// The reply type constants, as plain values for Swift.
enum {
    CHIREDIS_STRING = REDIS_REPLY_STRING,
    CHIREDIS_ARRAY = REDIS_REPLY_ARRAY,
    CHIREDIS_INTEGER = REDIS_REPLY_INTEGER,
    CHIREDIS_NIL = REDIS_REPLY_NIL,
    CHIREDIS_STATUS = REDIS_REPLY_STATUS,
    CHIREDIS_ERROR = REDIS_REPLY_ERROR,
};

#endif
