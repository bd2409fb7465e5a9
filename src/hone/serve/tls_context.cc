// OpenSSL errors become Errors here, each naming the file and OpenSSL's reason; Asio's throwing
// calls are not used, and its constructor's exception is caught.
#include "hone/serve/tls_context.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace hone::serve::internal {
namespace {

namespace ssl = boost::asio::ssl;

// The reason of the oldest error OpenSSL queued ("no start line", "key values mismatch").
std::string OpenSslReason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(code);
}

Result<void> CheckReadable(const std::string& what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Fail(ErrorCode::kIo, "cannot read " + what + " '" + path + "': " + std::strerror(errno));
  return {};
}

// Refuses an encrypted key instead of OpenSSL's default: a passphrase prompt on the terminal.
int NoPassphrase(char*, int, int, void*) { return 0; }

}  // namespace

Result<std::unique_ptr<ssl::context>> MakeTlsServerContext(const std::string& cert_file,
                                                           const std::string& key_file) {
  if (cert_file.empty() || key_file.empty()) {
    return Fail(
        ErrorCode::kInvalidArgument,
        std::string("TLS needs both a certificate and a key file; only the ") +
            (cert_file.empty() ? "key ('" + key_file + "')" : "certificate ('" + cert_file + "')") +
            " was given");
  }
  HONE_TRY(CheckReadable("TLS certificate file", cert_file));
  HONE_TRY(CheckReadable("TLS key file", key_file));
  std::unique_ptr<ssl::context> context;
  try {
    context = std::make_unique<ssl::context>(ssl::context::tls_server);
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInternal, std::string("cannot make a TLS context: ") + e.what());
  }
  SSL_CTX* ctx = context->native_handle();
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return Fail(ErrorCode::kInternal, "cannot require TLS 1.2: " + OpenSslReason());
  }
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_default_passwd_cb(ctx, NoPassphrase);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "TLS certificate file '" + cert_file +
                    "' holds no usable PEM certificate: " + OpenSslReason());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "TLS key file '" + key_file +
                    "' holds no usable PEM private key (an encrypted key is not supported): " +
                    OpenSslReason());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Fail(ErrorCode::kInvalidArgument, "TLS key file '" + key_file +
                                                 "' does not match the certificate in '" +
                                                 cert_file + "': " + OpenSslReason());
  }
  return context;
}

}  // namespace hone::serve::internal
