#include "hone/core/file.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
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
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
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

// Files from this size on are read into an anonymous mapping (FileBytes).
constexpr size_t kMapFrom = size_t{1} << 20;
constexpr size_t kHugePage = size_t{2} << 20;

// An open file to read whole: its descriptor and the size fstat gave.
struct OpenFile {
  Fd fd;
  size_t size;
  bool regular;
};

Result<OpenFile> OpenForReading(const std::filesystem::path& path) {
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
  return OpenFile{std::move(fd), static_cast<size_t>(st.st_size), S_ISREG(st.st_mode)};
}

Error ReadError(const std::filesystem::path& path) {
  return Error(ErrorCode::kIo, "error reading '" + path.string() + "': " + Errno());
}

// Reads up to `size` bytes into `buffer`; returns how many there were (fewer when the file
// ended first).
Result<size_t> ReadInto(int fd, char* buffer, size_t size, const std::filesystem::path& path) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, buffer + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(ReadError(path));
    }
    if (n == 0) break;  // the file shrank
    done += static_cast<size_t>(n);
  }
  return done;
}

// Appends whatever the file still holds to `out`: it may have grown since fstat, or be a pipe.
// A small buffer, so that the common case does not grow (and so copy) a full-size string.
Result<void> ReadRest(int fd, std::string& out, const std::filesystem::path& path) {
  char more[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, more, sizeof(more));
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(ReadError(path));
    }
    if (n == 0) return {};
    out.append(more, static_cast<size_t>(n));
  }
}

// The whole of an open file, as a string.
Result<std::string> ReadAll(const OpenFile& file, const std::filesystem::path& path) {
  std::string out;
  out.resize(file.size);
  HONE_ASSIGN_OR_RETURN(size_t done, ReadInto(file.fd.get(), out.data(), out.size(), path));
  out.resize(done);
  HONE_TRY(ReadRest(file.fd.get(), out, path));
  return out;
}

}  // namespace

Result<std::string> ReadFile(const std::filesystem::path& path) {
  HONE_ASSIGN_OR_RETURN(OpenFile file, OpenForReading(path));
  return ReadAll(file, path);
}

FileBytes::FileBytes(FileBytes&& other) noexcept { *this = std::move(other); }

FileBytes& FileBytes::operator=(FileBytes&& other) noexcept {
  if (this != &other) {
    Unmap();
    map_ = std::exchange(other.map_, nullptr);
    map_size_ = std::exchange(other.map_size_, 0);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    small_ = std::move(other.small_);
  }
  return *this;
}

FileBytes::~FileBytes() { Unmap(); }

void FileBytes::Unmap() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
  map_ = nullptr;
}

Result<FileBytes> ReadFileBytes(const std::filesystem::path& path) {
  HONE_ASSIGN_OR_RETURN(OpenFile file, OpenForReading(path));
  FileBytes bytes;
  if (!file.regular || file.size < kMapFrom) {
    HONE_ASSIGN_OR_RETURN(bytes.small_, ReadAll(file, path));
    return bytes;
  }
  // A huge-page-aligned start inside a mapping one huge page larger than needed.
  size_t length = (file.size + kHugePage - 1) / kHugePage * kHugePage + kHugePage;
  void* map = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) {
    HONE_ASSIGN_OR_RETURN(bytes.small_, ReadAll(file, path));
    return bytes;
  }
  bytes.map_ = map;
  bytes.map_size_ = length;
  auto start = reinterpret_cast<uintptr_t>(map);
  bytes.data_ = static_cast<char*>(map) + ((kHugePage - start % kHugePage) % kHugePage);
  ::madvise(bytes.data_, file.size, MADV_HUGEPAGE);  // advice only: may be refused
  HONE_ASSIGN_OR_RETURN(bytes.size_, ReadInto(file.fd.get(), bytes.data_, file.size, path));
  if (bytes.size_ == file.size) {
    std::string rest;
    HONE_TRY(ReadRest(file.fd.get(), rest, path));
    if (!rest.empty()) {  // the file grew while it was read: keep all of it, as a string
      bytes.small_.reserve(bytes.size_ + rest.size());
      bytes.small_.assign(bytes.data_, bytes.size_);
      bytes.small_ += rest;
      bytes.Unmap();
    }
  }
  return bytes;
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
