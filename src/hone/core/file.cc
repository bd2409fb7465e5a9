#include "hone/core/file.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hone::core {
namespace {

std::string Errno() { return std::strerror(errno); }

// Closes a descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

}  // namespace

Result<std::string> ReadFile(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    auto code = errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
    return Fail(code, "cannot open '" + path.string() + "': " + Errno());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return Fail(ErrorCode::kIo, "cannot stat '" + path.string() + "': " + Errno());
  }
  if (S_ISDIR(st.st_mode)) {
    return Fail(ErrorCode::kInvalidArgument, "'" + path.string() + "' is a directory, not a file");
  }
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  auto fail = [&] {
    return Fail(ErrorCode::kIo, "error reading '" + path.string() + "': " + Errno());
  };
  while (done < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail();
    }
    if (n == 0) break;  // the file shrank
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  // The file may have grown since fstat (or be a pipe): read on into a small buffer, so the
  // common case does not grow, and so copy, a full-size string.
  char more[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), more, sizeof(more));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail();
    }
    if (n == 0) break;
    out.append(more, static_cast<size_t>(n));
  }
  return out;
}

Result<void> WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
  Fd fd(::mkstemp(tmpl.data()));
  if (fd.get() < 0) {
    return Fail(ErrorCode::kIo, "cannot create a file in '" + dir.string() + "': " + Errno());
  }
  auto fail = [&](const std::string& what) {
    std::string message = what + " '" + tmpl + "': " + Errno();
    ::unlink(tmpl.c_str());
    return Fail(ErrorCode::kIo, message);
  };
  // mkstemp creates 0600; give the file the permissions a plain create would.
  mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd.get(), 0666 & ~mask) != 0) return fail("cannot set permissions of");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("cannot sync");
  if (::close(fd.Release()) != 0) return fail("cannot close");
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    return fail("cannot rename to '" + path.string() + "' from");
  }
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());  // best effort: some filesystems refuse
  return {};
}

}  // namespace hone::core
