// Errors as values: every operation that can fail for a reason outside the programmer's control
// returns Result<T>. Exceptions never cross a subsystem's API.
#ifndef HONE_CORE_ERROR_H_
#define HONE_CORE_ERROR_H_

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace hone {

/// What kind of failure an Error is. Edges (the CLI's exit codes, later HTTP statuses) map
/// these once, in one place.
enum class ErrorCode {
  kInvalidArgument,   // a flag, parameter or option the user gave is wrong
  kInvalidData,       // the data (CSV, JSON, bundle) is malformed or unusable
  kNotFound,          // a file, column or name does not exist
  kIo,                // the operating system refused a read or write
  kCorrupt,           // stored bytes fail their integrity check
  kConflict,          // someone else changed the thing first (a compare-and-swap lost)
  kUnsupported,       // a valid request hone does not handle
  kInternal,          // a library underneath failed unexpectedly
  kPermissionDenied,  // the caller may not do this: no token, a wrong one, or too weak a role
};

/// Stable lower-case name of a code, for logs and JSON.
const char* ErrorCodeName(ErrorCode code);

/// An error: a code and a message written for the user, naming the subject, the bad value and
/// the valid choices.
class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  /// The same error with `context` prepended: "context: message".
  Error WithContext(std::string_view context) const;

 private:
  ErrorCode code_;
  std::string message_;
};

template <typename T>
using Result = tl::expected<T, Error>;

/// Shorthand for the failing side of a Result: `return Fail(ErrorCode::kNotFound, "...")`.
inline tl::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}
inline tl::unexpected<Error> Fail(Error error) { return tl::unexpected<Error>(std::move(error)); }

}  // namespace hone

#define HONE_CONCAT_INNER_(a, b) a##b
#define HONE_CONCAT_(a, b) HONE_CONCAT_INNER_(a, b)

/// Evaluates `expr` (a Result<void> or Result<T>) and returns its error from the enclosing
/// function if it failed.
#define HONE_TRY(expr)                                                        \
  do {                                                                        \
    auto&& hone_try_result_ = (expr);                                         \
    if (!hone_try_result_) return ::tl::unexpected(hone_try_result_.error()); \
  } while (false)

/// `HONE_ASSIGN_OR_RETURN(auto table, ReadCsv(path));` declares `table` from the value of a
/// Result, or returns its error from the enclosing function.
#define HONE_ASSIGN_OR_RETURN(lhs, expr) \
  HONE_ASSIGN_OR_RETURN_IMPL_(HONE_CONCAT_(hone_result_, __LINE__), lhs, expr)
#define HONE_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr)             \
  auto result = (expr);                                            \
  if (!result) return ::tl::unexpected(std::move(result).error()); \
  lhs = std::move(result).value()

/// Aborts with a message on a programmer error. No user input may reach a failing check.
#define HONE_CHECK(cond)                                                   \
  do {                                                                     \
    if (!(cond)) ::hone::internal::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (false)

namespace hone::internal {
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);
}  // namespace hone::internal

#endif  // HONE_CORE_ERROR_H_
