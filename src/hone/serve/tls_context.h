// The server's TLS context, made from the PEM files of HttpServerOptions. Internal to the HTTP
// server (http_server.cc); the only place that configures OpenSSL.
#ifndef HONE_SERVE_TLS_CONTEXT_H_
#define HONE_SERVE_TLS_CONTEXT_H_

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "hone/core/error.h"

namespace hone::serve::internal {

/// A server context speaking TLS 1.2 and later with the certificate chain in `cert_file` and
/// the key in `key_file`. kIo when a file cannot be read, kInvalidArgument naming the file and
/// OpenSSL's reason when it holds no usable certificate or key, or the two do not match. An
/// encrypted key is refused, never asked for on the terminal.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeTlsServerContext(
    const std::string& cert_file, const std::string& key_file);

}  // namespace hone::serve::internal

#endif  // HONE_SERVE_TLS_CONTEXT_H_
