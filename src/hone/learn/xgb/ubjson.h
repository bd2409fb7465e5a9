// A structural check of XGBoost model bytes before XGBoost parses them.
//
// XGBoost 1.7.4's UBJSON reader trusts its input: it copies a string of the length the bytes
// declare, reads as many array elements as they announce and recurses once per nesting level,
// all without comparing against the end of the buffer. Crafted bytes therefore crash the
// process (a declared string of 256 MiB: memcpy past the buffer in UBJReader::DecodeStr; a
// float array announcing 2^20 elements: reads past it in UBJReader::ParseArray; two million
// '[': stack overflow), and declared lengths near 2^63 make it attempt the allocation. The
// envelope's SHA-256 does not stop this, since anyone can recompute it. So hone passes XGBoost
// only bytes that have the exact shape of what XGBoost's own UBJSON writer produces, with every
// length inside the buffer and bounded nesting.
#ifndef HONE_LEARN_XGB_UBJSON_H_
#define HONE_LEARN_XGB_UBJSON_H_

#include <string_view>

#include "hone/core/error.h"

namespace hone::learn::xgb {

/// Checks that `bytes` are one UBJSON object as XGBoost 1.7's writer lays it out, and nothing
/// after it:
///   value   := '{' (key value)* '}' | '[' '$' t '#' 'L' n (n elements of type t)
///            | '[' '#' 'L' n value{n} | 'S' 'L' n (n bytes) | 'Z' | 'T' | 'F'
///            | 'i' | 'U' | 'I' | 'l' | 'L' | 'd' | 'D' (with their fixed-size big-endian value)
///   key     := 'L' n (n bytes);   t := 'd' | 'U' | 'l' | 'L';   n := big-endian int64 >= 0
/// with every length within the bytes and at most 64 nested containers. Fails with
/// kInvalidData naming the first violation and its byte offset.
Result<void> CheckUbjson(std::string_view bytes);

}  // namespace hone::learn::xgb

#endif  // HONE_LEARN_XGB_UBJSON_H_
