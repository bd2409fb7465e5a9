#include "hone/core/digest.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hone/core/table.h"

namespace hone::core {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  HONE_CHECK(impl_->ctx != nullptr);
  HONE_CHECK(EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256::Update(std::span<const uint8_t> bytes) {
  HONE_CHECK(EVP_DigestUpdate(impl_->ctx, bytes.data(), bytes.size()) == 1);
}

void Sha256::Update(std::string_view bytes) {
  HONE_CHECK(EVP_DigestUpdate(impl_->ctx, bytes.data(), bytes.size()) == 1);
}

Digest Sha256::Peek() const {
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  HONE_CHECK(copy != nullptr);
  Digest out{};
  unsigned int len = 0;
  bool ok = EVP_MD_CTX_copy_ex(copy, impl_->ctx) == 1 &&
            EVP_DigestFinal_ex(copy, out.data(), &len) == 1 && len == out.size();
  EVP_MD_CTX_free(copy);
  HONE_CHECK(ok);
  return out;
}

Digest Sha256::Finish() {
  Digest out{};
  unsigned int len = 0;
  HONE_CHECK(EVP_DigestFinal_ex(impl_->ctx, out.data(), &len) == 1 && len == out.size());
  return out;
}

struct HmacSha256::Impl {
  EVP_MD_CTX* inner = nullptr;  // after (key ^ ipad)
  EVP_MD_CTX* outer = nullptr;  // after (key ^ opad)
};

HmacSha256::HmacSha256(std::string_view key) : impl_(std::make_unique<Impl>()) {
  constexpr size_t kBlock = 64;
  std::array<uint8_t, kBlock> block{};
  if (key.size() > kBlock) {
    const Digest d = Sha256Of(key);
    std::memcpy(block.data(), d.data(), d.size());
  } else {
    std::memcpy(block.data(), key.data(), key.size());
  }
  std::array<uint8_t, kBlock> pad{};
  auto start = [&](uint8_t with) {
    for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ with;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    HONE_CHECK(ctx != nullptr);
    HONE_CHECK(EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1);
    HONE_CHECK(EVP_DigestUpdate(ctx, pad.data(), pad.size()) == 1);
    return ctx;
  };
  impl_->inner = start(0x36);
  impl_->outer = start(0x5c);
  OPENSSL_cleanse(block.data(), block.size());
  OPENSSL_cleanse(pad.data(), pad.size());
}

HmacSha256::~HmacSha256() {
  EVP_MD_CTX_free(impl_->inner);
  EVP_MD_CTX_free(impl_->outer);
}

Digest HmacSha256::Of(std::string_view message) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  HONE_CHECK(ctx != nullptr);
  Digest inner{}, out{};
  unsigned int len = 0, len2 = 0;
  const bool ok = EVP_MD_CTX_copy_ex(ctx, impl_->inner) == 1 &&
                  EVP_DigestUpdate(ctx, message.data(), message.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, inner.data(), &len) == 1 && len == inner.size() &&
                  EVP_MD_CTX_copy_ex(ctx, impl_->outer) == 1 &&
                  EVP_DigestUpdate(ctx, inner.data(), inner.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, out.data(), &len2) == 1 && len2 == out.size();
  EVP_MD_CTX_free(ctx);
  HONE_CHECK(ok);
  return out;
}

std::string ToHex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(digest.size() * 2, '0');
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

Digest Sha256Of(std::string_view bytes) {
  Sha256 h;
  h.Update(bytes);
  return h.Finish();
}

std::string Sha256Hex(std::string_view bytes) { return ToHex(Sha256Of(bytes)); }

Result<Digest> FileDigest(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(ErrorCode::kNotFound,
                "cannot open '" + path.string() + "': " + std::strerror(errno));
  }
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.Update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
  }
  if (in.bad()) return Fail(ErrorCode::kIo, "error reading '" + path.string() + "'");
  return h.Finish();
}

namespace {

// Feeds a hash through a buffer, so per-cell writes do not each cost an EVP call.
// Length-prefixed strings keep the encoding unambiguous ("ab","c" != "a","bc").
class FramedWriter {
 public:
  explicit FramedWriter(Sha256& h) : h_(h) {}
  ~FramedWriter() { Flush(); }

  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) buf_.push_back(static_cast<char>(v >> (8 * i)));
    MaybeFlush();
  }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) buf_.push_back(static_cast<char>(v >> (8 * i)));
    MaybeFlush();
  }
  void String(std::string_view s) {
    U64(s.size());
    buf_.append(s);
    MaybeFlush();
  }
  void Flush() {
    h_.Update(buf_);
    buf_.clear();
  }

 private:
  void MaybeFlush() {
    if (buf_.size() >= (1 << 16)) Flush();
  }
  Sha256& h_;
  std::string buf_;
};

}  // namespace

Digest TableDigest(const Table& table) {
  Sha256 h;
  {
    FramedWriter w(h);
    w.String("hone.table.v1");
    w.U64(table.num_columns());
    w.U64(table.num_rows());
    for (const Column& c : table.columns()) {
      w.String(c.name());
      w.String(ColumnTypeName(c.type()));
      if (c.is_numeric()) {
        // Every NaN hashes the same; -0 and +0 are distinct values and hash differently.
        for (float v : c.values()) {
          w.U32(std::isnan(v) ? 0x7fc00000u : std::bit_cast<uint32_t>(v));
        }
      } else {
        // Hash the cell text, not the codes, so dictionary order does not matter.
        for (int32_t code : c.codes()) {
          if (code == kMissingCode) {
            w.U64(~uint64_t{0});
          } else {
            w.String(c.dictionary()[code]);
          }
        }
      }
    }
  }
  return h.Finish();
}

}  // namespace hone::core
